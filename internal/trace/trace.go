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

// Parent is a parsed version-00 traceparent.
type Parent struct {
	TraceID  string // 32 lower-case hex digits, not all zero
	ParentID string // 16 lower-case hex digits, not all zero
	Flags    string // 2 lower-case hex digits
}

// String is the traceparent header value.
func (p Parent) String() string { return "00-" + p.TraceID + "-" + p.ParentID + "-" + p.Flags }

// ParseParent validates a version-00 traceparent
// ("00-<32 hex>-<16 hex>-<2 hex>") and splits it. Anything else, including
// all-zero ids and upper-case hex (both invalid per the spec), is refused.
func ParseParent(tp string) (Parent, bool) {
	const traceEnd, parentEnd = 3 + 32, 3 + 32 + 1 + 16
	if len(tp) != parentEnd+3 || tp[:3] != "00-" || tp[traceEnd] != '-' || tp[parentEnd] != '-' {
		return Parent{}, false
	}
	p := Parent{TraceID: tp[3:traceEnd], ParentID: tp[traceEnd+1 : parentEnd], Flags: tp[parentEnd+1:]}
	if !lowerHex(p.TraceID) || !lowerHex(p.ParentID) || !lowerHex(p.Flags) || allZero(p.TraceID) || allZero(p.ParentID) {
		return Parent{}, false
	}
	return p, true
}

// Parse validates traceparent tp (see ParseParent) and returns its trace id.
func Parse(tp string) (traceID string, ok bool) {
	p, ok := ParseParent(tp)
	return p.TraceID, ok
}

// TraceID is tp's trace id, or "" when tp is not a valid traceparent: what
// a log line carries.
func TraceID(tp string) string {
	id, _ := Parse(tp)
	return id
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
	p, ok := ParseParent(tp)
	if !ok {
		return FromRequest("")
	}
	var b [8]byte
	rand.Read(b[:])
	p.ParentID = hex.EncodeToString(b[:])
	return p.String()
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
