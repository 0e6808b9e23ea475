package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// TaskTypePrefix starts every Asynq task type hookq enqueues; the rest is the
// route name, so the dashboard groups tasks by route.
const TaskTypePrefix = "hookq:"

// TaskType is the Asynq task type for a route.
func TaskType(route string) string { return TaskTypePrefix + route }

// TaskID is the Asynq task id of an event on a route. It contains the
// provider's event id so operators can find an event in the dashboard.
func TaskID(source, route, eventID string) string {
	return source + ":" + route + ":" + eventID
}

// envelope is the JSON shape of a task payload. A JSON body is embedded
// verbatim under "body" so the dashboard renders it readably; any other body
// travels base64-encoded under "body_b64". Either way the bytes handed to
// handlers are exactly the bytes received. JSON strings cannot carry bytes
// that are not UTF-8, so any text field holding some (an id from a header,
// say) is also kept exactly under "raw"; the plain field shows it with
// U+FFFD for the dashboard.
type envelope struct {
	Source      string            `json:"source"`
	EventID     string            `json:"event_id"`
	EventType   string            `json:"event_type"`
	ReceivedAt  time.Time         `json:"received_at"`
	VerifiedBy  string            `json:"verified_by,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Raw         *rawFields        `json:"raw,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
	BodyB64     []byte            `json:"body_b64,omitempty"`
}

// rawFields are the exact bytes of the text fields that are not UTF-8.
type rawFields struct {
	Source      []byte      `json:"source,omitempty"`
	EventID     []byte      `json:"event_id,omitempty"`
	EventType   []byte      `json:"event_type,omitempty"`
	VerifiedBy  []byte      `json:"verified_by,omitempty"`
	ContentType []byte      `json:"content_type,omitempty"`
	Headers     [][2][]byte `json:"headers,omitempty"` // every header, name and value, when any is not UTF-8
}

// maxEmbedDepth bounds the nesting of a body embedded as JSON. Decoding
// adds the envelope's own level, and encoding/json refuses nesting past
// 10,000: a body near that limit, which ingest accepts, travels base64.
const maxEmbedDepth = 1000

// encodeJSON renders e as the envelope's JSON; decodeJSON(encodeJSON(e))
// gives e back, every byte of every field included, whatever the body
// holds. It is hand-assembled because json.Marshal compacts a RawMessage,
// which would change the body's bytes.
func encodeJSON(e *Event) []byte {
	head := envelope{
		Source: e.Source, EventID: e.ID, EventType: e.Type,
		ReceivedAt: e.ReceivedAt.UTC(), VerifiedBy: e.VerifiedBy,
		ContentType: e.ContentType, Headers: e.Headers, Raw: rawOf(e),
	}
	// Decoding a RawMessage drops whitespace around the value, so a body with
	// any (SendGrid signs its trailing CRLF) travels as base64 instead.
	embed := len(e.Body) > 0 && len(bytes.TrimSpace(e.Body)) == len(e.Body) && utf8.Valid(e.Body) &&
		(e.BodyIsJSON || json.Valid(e.Body)) && nestingWithin(e.Body, maxEmbedDepth)
	if !embed && len(e.Body) > 0 {
		head.BodyB64 = e.Body
	}
	b, err := json.Marshal(head)
	if err != nil {
		// Only a received-at outside years 0-9999 fails; ingest stamps now.
		head.ReceivedAt = time.Time{}
		b, _ = json.Marshal(head)
	}
	if !embed {
		return b
	}
	out := make([]byte, 0, len(b)+len(e.Body)+8)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"body":`...)
	out = append(out, e.Body...)
	return append(out, '}')
}

func rawOf(e *Event) *rawFields {
	var r rawFields
	found := false
	keep := func(s string) []byte {
		if utf8.ValidString(s) {
			return nil
		}
		found = true
		return []byte(s)
	}
	r.Source, r.EventID, r.EventType = keep(e.Source), keep(e.ID), keep(e.Type)
	r.VerifiedBy, r.ContentType = keep(e.VerifiedBy), keep(e.ContentType)
	for k, v := range e.Headers {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			found = true
			r.Headers = make([][2][]byte, 0, len(e.Headers))
			for k, v := range e.Headers {
				r.Headers = append(r.Headers, [2][]byte{[]byte(k), []byte(v)})
			}
			break
		}
	}
	if !found {
		return nil
	}
	return &r
}

// nestingWithin reports whether the arrays and objects of the valid JSON
// text b nest at most limit deep.
func nestingWithin(b []byte, limit int) bool {
	// No more openers than limit cannot nest deeper: two vectorised counts
	// spare nearly every body the byte-by-byte walk.
	if bytes.Count(b, []byte{'{'})+bytes.Count(b, []byte{'['}) <= limit {
		return true
	}
	depth, inStr, esc := 0, false, false
	for _, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return false
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return true
}

// ErrBadEnvelope is returned by Decode for a payload hookq did not write.
var ErrBadEnvelope = errors.New("bad task envelope")

// decodeJSON parses an envelope written by encodeJSON.
func decodeJSON(payload []byte) (*Event, error) {
	var env envelope
	if head, body, ok := splitBody(payload); ok {
		if err := json.Unmarshal(head, &env); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
		}
		env.Body = body
	} else if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
	}
	if env.Source == "" || env.EventID == "" {
		return nil, fmt.Errorf("%w: missing source or event_id", ErrBadEnvelope)
	}
	body := []byte(env.Body)
	if len(env.BodyB64) > 0 {
		body = env.BodyB64
	}
	ev := &Event{
		Source: env.Source, ID: env.EventID, Type: env.EventType, Body: body,
		ContentType: env.ContentType, Headers: env.Headers,
		ReceivedAt: env.ReceivedAt, VerifiedBy: env.VerifiedBy,
	}
	if r := env.Raw; r != nil {
		for _, f := range []struct {
			dst *string
			raw []byte
		}{{&ev.Source, r.Source}, {&ev.ID, r.EventID}, {&ev.Type, r.EventType}, {&ev.VerifiedBy, r.VerifiedBy}, {&ev.ContentType, r.ContentType}} {
			if r := f.raw; r != nil {
				*f.dst = string(r)
			}
		}
		if r.Headers != nil {
			ev.Headers = make(map[string]string, len(r.Headers))
			for _, kv := range r.Headers {
				ev.Headers[string(kv[0])] = string(kv[1])
			}
		}
	}
	return ev, nil
}

// bodyKey is what encodeJSON puts between the head and an embedded body.
const bodyKey = `,"body":`

// splitBody cuts an envelope as encodeJSON lays it out (the head's object,
// bodyKey, the embedded body, the closing brace) into the head, as an object
// of its own, and the body. Decoding only the head spares the worker
// encoding/json's two passes over every body byte (validate, then skip), the
// largest part of decoding a 1 KB event on its profile. The body is checked
// again only for nesting: encodeJSON embeds only bodies json.Valid accepted,
// and a compressed envelope is checked against its CRC. A payload laid out
// any other way (ok false) takes the full decode.
func splitBody(payload []byte) (head, body []byte, ok bool) {
	n := len(payload)
	if n < 2 || payload[0] != '{' || payload[n-1] != '}' {
		return nil, nil, false
	}
	// gjson walks only the top level, skipping nested values: a "body" key
	// inside headers or raw is not this one.
	r := gjson.GetBytes(payload, "body")
	i := r.Index
	if i < len(bodyKey)+1 || len(r.Raw) == 0 || i+len(r.Raw) != n-1 || string(payload[i-len(bodyKey):i]) != bodyKey {
		return nil, nil, false
	}
	if c := r.Raw[0]; c != '{' && c != '[' && c != '"' && c != '-' && c != 't' && c != 'f' && c != 'n' && (c < '0' || c > '9') {
		return nil, nil, false
	}
	// Nesting encodeJSON would not embed goes to the full decode, which
	// refuses what encoding/json cannot read.
	if !nestingWithin(payload[i:n-1], maxEmbedDepth) {
		return nil, nil, false
	}
	head = make([]byte, 0, i-len(bodyKey)+1)
	head = append(head, payload[:i-len(bodyKey)]...)
	return append(head, '}'), payload[i : n-1], true
}

// Summary is a short loggable description; it never includes the body.
func (e *Event) Summary() string {
	return e.Source + "/" + e.Type + "/" + e.ID + " (" + strconv.Itoa(len(e.Body)) + " bytes)"
}
