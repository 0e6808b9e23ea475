package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
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
// handlers are exactly the bytes received.
type envelope struct {
	Source      string            `json:"source"`
	EventID     string            `json:"event_id"`
	EventType   string            `json:"event_type"`
	ReceivedAt  time.Time         `json:"received_at"`
	VerifiedBy  string            `json:"verified_by,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
	BodyB64     []byte            `json:"body_b64,omitempty"`
}

// Encode renders e as a task payload. It is hand-assembled because
// json.Marshal compacts a RawMessage, which would change the body's bytes.
func Encode(e *Event) []byte {
	head := envelope{
		Source: e.Source, EventID: e.ID, EventType: e.Type,
		ReceivedAt: e.ReceivedAt.UTC(), VerifiedBy: e.VerifiedBy,
		ContentType: e.ContentType, Headers: e.Headers,
	}
	// Decoding a RawMessage drops whitespace around the value, so a body with
	// any (SendGrid signs its trailing CRLF) travels as base64 instead.
	embed := len(e.Body) > 0 && len(bytes.TrimSpace(e.Body)) == len(e.Body) && utf8.Valid(e.Body) && json.Valid(e.Body)
	if !embed && len(e.Body) > 0 {
		head.BodyB64 = e.Body
	}
	b, _ := json.Marshal(head) // cannot fail: strings, a time and a map of strings
	if !embed {
		return b
	}
	out := make([]byte, 0, len(b)+len(e.Body)+8)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"body":`...)
	out = append(out, e.Body...)
	return append(out, '}')
}

// ErrBadEnvelope is returned by Decode for a payload hookq did not write.
var ErrBadEnvelope = errors.New("bad task envelope")

// Decode parses a task payload written by Encode.
func Decode(payload []byte) (*Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
	}
	if env.Source == "" || env.EventID == "" {
		return nil, fmt.Errorf("%w: missing source or event_id", ErrBadEnvelope)
	}
	body := []byte(env.Body)
	if len(env.BodyB64) > 0 {
		body = env.BodyB64
	}
	return &Event{
		Source: env.Source, ID: env.EventID, Type: env.EventType, Body: body,
		ContentType: env.ContentType, Headers: env.Headers,
		ReceivedAt: env.ReceivedAt, VerifiedBy: env.VerifiedBy,
	}, nil
}

// Summary is a short loggable description; it never includes the body.
func (e *Event) Summary() string {
	return e.Source + "/" + e.Type + "/" + e.ID + " (" + strconv.Itoa(len(e.Body)) + " bytes)"
}
