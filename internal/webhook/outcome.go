package webhook

// Outcome is what ingest made of one webhook request: the "status" word of
// a 200 answer or the "error" code of a refusal, and the reason label of
// ingest's request metrics. The constants are the only spellings: a
// metric keyed on one cannot silently drift from the answer that names it.
type Outcome string

// Answered 200.
const (
	OutcomeAccepted  Outcome = "accepted"  // first delivery, every task enqueued
	OutcomeDuplicate Outcome = "duplicate" // seen within the dedupe window; nothing enqueued
	OutcomeIgnored   Outcome = "ignored"   // verified, no route matches its type
	OutcomeHandshake Outcome = "handshake" // a provider's handshake, answered as it requires
)

// Refusals, one per sentinel error (and the two ingest adds).
const (
	OutcomeUnknownSource    Outcome = "unknown_source"
	OutcomeMissingSignature Outcome = "missing_signature"
	OutcomeInvalidSignature Outcome = "invalid_signature"
	OutcomeTimestamp        Outcome = "timestamp_out_of_tolerance"
	OutcomeBodyTooLarge     Outcome = "body_too_large"
	OutcomeMalformed        Outcome = "malformed_payload"
	OutcomeQueueUnavailable Outcome = "queue_unavailable"   // Redis unusable or too slow: 503
	OutcomeOverloaded       Outcome = "overloaded"          // shed at a concurrency bound: 503
	OutcomeForbidden        Outcome = "forbidden"           // a GET challenge with the wrong verify token: 403
	OutcomeConfirmFailed    Outcome = "confirmation_failed" // the provider's confirmation URL could not be called: 502
	OutcomeInternalError    Outcome = "internal_error"
)

// Outcomes lists every outcome, for metrics that pre-create their series.
var Outcomes = []Outcome{
	OutcomeAccepted, OutcomeDuplicate, OutcomeIgnored, OutcomeHandshake,
	OutcomeUnknownSource, OutcomeMissingSignature, OutcomeInvalidSignature, OutcomeTimestamp,
	OutcomeBodyTooLarge, OutcomeMalformed, OutcomeQueueUnavailable, OutcomeOverloaded, OutcomeForbidden, OutcomeConfirmFailed,
	OutcomeInternalError,
}
