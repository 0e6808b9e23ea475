package ingest

import (
	"errors"
	"net/http"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// errBusy: every body-read slot or every in-flight slot is taken; the
// provider retries after Retry-After.
var errBusy = errors.New("ingest busy")

// errorTable is the one place errors become HTTP statuses and outcomes.
var errorTable = []struct {
	err     error
	status  int
	outcome webhook.Outcome
}{
	{webhook.ErrUnknownSource, http.StatusNotFound, webhook.OutcomeUnknownSource},
	{webhook.ErrMissingSignature, http.StatusUnauthorized, webhook.OutcomeMissingSignature},
	{webhook.ErrInvalidSignature, http.StatusUnauthorized, webhook.OutcomeInvalidSignature},
	{webhook.ErrTimestampTolerance, http.StatusUnauthorized, webhook.OutcomeTimestamp},
	{webhook.ErrBodyTooLarge, http.StatusRequestEntityTooLarge, webhook.OutcomeBodyTooLarge},
	{webhook.ErrMalformedPayload, http.StatusBadRequest, webhook.OutcomeMalformed},
	{webhook.ErrQueueUnavailable, http.StatusServiceUnavailable, webhook.OutcomeQueueUnavailable},
	{errBusy, http.StatusServiceUnavailable, webhook.OutcomeOverloaded},
	{verify.ErrChallengeRefused, http.StatusForbidden, webhook.OutcomeForbidden},
	{verify.ErrConfirmFailed, http.StatusBadGateway, webhook.OutcomeConfirmFailed},
}

// statusOf maps err to its status and outcome; anything unknown is a 500
// whose detail stays in the log.
func statusOf(err error) (int, webhook.Outcome) {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.status, e.outcome
		}
	}
	return http.StatusInternalServerError, webhook.OutcomeInternalError
}
