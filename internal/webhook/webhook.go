// Package webhook holds hookq's domain vocabulary: the verified Event, the
// task envelope that carries it from ingest to worker, and the sentinel errors
// every layer speaks. It imports the standard library only.
package webhook

import (
	"errors"
	"time"
)

// Event is one verified delivery from a provider.
type Event struct {
	Source      string            // configured source name, e.g. "stripe"
	ID          string            // provider event id (or sha256:<hex> of the body when the provider sends none)
	Type        string            // provider event type
	Body        []byte            // the raw request body, byte for byte
	ContentType string            // the request's Content-Type
	Headers     map[string]string // original headers kept for handlers (pass_headers); nil when none
	ReceivedAt  time.Time         // when ingest read the request
	VerifiedBy  string            // verifier type that accepted the signature
	// BodyIsJSON says the producer has found Body to be valid JSON, so
	// Encode need not check it again; false only means "not checked". It is
	// not part of the task payload.
	BodyIsJSON bool
}

// Sentinel errors. Ingest maps them to HTTP statuses in exactly one place;
// verifiers and extractors wrap them with context.
var (
	ErrUnknownSource      = errors.New("unknown source")
	ErrMissingSignature   = errors.New("missing signature")
	ErrInvalidSignature   = errors.New("invalid signature")
	ErrTimestampTolerance = errors.New("timestamp out of tolerance")
	ErrMalformedPayload   = errors.New("malformed payload")
	ErrBodyTooLarge       = errors.New("body too large")
	ErrQueueUnavailable   = errors.New("queue unavailable")
)

// Delivery is what one forward attempt got from the destination. With
// history on, the worker records it as the task's result, so a delivered
// event shows its answer in the dashboard and hookqctl inspect.
type Delivery struct {
	Status    int       `json:"status,omitempty"` // HTTP status; 0 when there was no answer
	Error     string    `json:"error,omitempty"`  // why there was no answer
	LatencyMS float64   `json:"latency_ms"`
	Attempt   int       `json:"attempt"` // 1 on the first try
	At        time.Time `json:"at"`
}

// Task is one route's share of an event: the route that will handle it and
// the retry policy Asynq applies to it.
type Task struct {
	Route    string
	MaxRetry int
	Timeout  time.Duration // handler deadline; at least 1s (Asynq treats less as none)
	// Headers are the request headers kept for this route alone (its
	// pass_headers); when set they replace the event's Headers in this
	// route's task.
	Headers map[string]string
	// Retention keeps the task, with its recorded outcome, this long after
	// it succeeds (Asynq's completed state); 0 deletes it at once.
	Retention time.Duration
}

// DeadLetter is a task the worker gives up on: its retries are spent, its
// failure is permanent, or its payload does not decode.
type DeadLetter struct {
	TaskID  string
	Route   string
	Payload []byte // the task payload as enqueued, kept whatever it holds
	Event   *Event // Payload decoded; nil when it does not decode
	Cause   error
}

// DeadLetterTrims is what recording a dead letter pushes out, so none of it
// goes unnoticed.
type DeadLetterTrims struct {
	Archive []string // ids of archived tasks Asynq trims to make room
	Stream  []string // dead-letter stream entries removed to stay in bounds, as "<stream id> <task id>"
}
