package ingest

import (
	"errors"
	"net/http"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// errBusy: every body-read slot is taken; the provider retries after
// Retry-After.
var errBusy = errors.New("ingest busy")

// errorTable is the one place errors become HTTP statuses and reason codes.
var errorTable = []struct {
	err    error
	status int
	reason string
}{
	{webhook.ErrUnknownSource, http.StatusNotFound, "unknown_source"},
	{webhook.ErrMissingSignature, http.StatusUnauthorized, "missing_signature"},
	{webhook.ErrInvalidSignature, http.StatusUnauthorized, "invalid_signature"},
	{webhook.ErrTimestampTolerance, http.StatusUnauthorized, "timestamp_out_of_tolerance"},
	{webhook.ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{webhook.ErrMalformedPayload, http.StatusBadRequest, "malformed_payload"},
	{webhook.ErrQueueUnavailable, http.StatusServiceUnavailable, "queue_unavailable"},
	{errBusy, http.StatusServiceUnavailable, "overloaded"},
	{verify.ErrChallengeRefused, http.StatusForbidden, "forbidden"},
	{verify.ErrConfirmFailed, http.StatusBadGateway, "confirmation_failed"},
}

// statusOf maps err to its status and reason; anything unknown is a 500
// whose detail stays in the log.
func statusOf(err error) (int, string) {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.status, e.reason
		}
	}
	return http.StatusInternalServerError, "internal_error"
}
