// Package trace carries W3C trace context (the traceparent header) from a
// provider's request through the Asynq task to the worker and on to the
// forward destination, so log lines of one event join across processes.
package trace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Header is the W3C trace context header, also used as the Asynq task
// header name.
const Header = "traceparent"

// Parse validates a version-00 traceparent ("00-<32 hex>-<16 hex>-<2 hex>")
// and returns its trace id. Anything else, including all-zero ids and
// upper-case hex (both invalid per the spec), is refused.
func Parse(tp string) (traceID string, ok bool) {
	if len(tp) != 55 || tp[0] != '0' || tp[1] != '0' || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' {
		return "", false
	}
	if !lowerHex(tp[3:35]) || !lowerHex(tp[36:52]) || !lowerHex(tp[53:55]) || allZero(tp[3:35]) || allZero(tp[36:52]) {
		return "", false
	}
	return tp[3:35], true
}

// FromRequest returns the request's traceparent when valid, else a new
// trace (sampled flag set).
func FromRequest(tp string) string {
	if _, ok := Parse(tp); ok {
		return tp
	}
	var b [24]byte
	rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// Child returns a traceparent with the same trace id and flags and a new
// parent id: what a hop passes downstream. An invalid tp starts a new trace.
func Child(tp string) string {
	if _, ok := Parse(tp); !ok {
		return FromRequest("")
	}
	var b [8]byte
	rand.Read(b[:])
	return tp[:36] + hex.EncodeToString(b[:]) + tp[52:]
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

type ctxKey struct{}

// NewContext returns ctx carrying traceparent tp.
func NewContext(ctx context.Context, tp string) context.Context {
	return context.WithValue(ctx, ctxKey{}, tp)
}

// FromContext returns the traceparent ctx carries, or "".
func FromContext(ctx context.Context) string {
	tp, _ := ctx.Value(ctxKey{}).(string)
	return tp
}
