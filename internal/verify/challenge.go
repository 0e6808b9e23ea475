package verify

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/hookq/hookq/internal/webhook"
)

// Challenger is implemented by verifiers whose provider proves the endpoint
// with a GET before it sends events (Okta's one-time verification). The
// ingest answers GET /webhooks/{source} only for these; Challenge returns
// the body to answer with, or an error wrapping webhook.ErrMalformedPayload.
// The GET carries no event and is never enqueued.
type Challenger interface {
	Challenge(r *Request) (contentType string, body []byte, err error)
}

// challenges are the GET handshakes a preset can name in Params.Challenge.
var challenges = map[string]func(r *Request) (string, []byte, error){
	// Okta event hooks: echo X-Okta-Verification-Challenge as
	// {"verification": …}. Okta's docs do not promise the hook's
	// authorization header on this request, so none is required: echoing
	// proves only that the URL answers, and every event is still checked.
	"okta": func(r *Request) (string, []byte, error) {
		v := r.Header.Get("X-Okta-Verification-Challenge")
		if v == "" || len(v) > 1024 || !utf8.ValidString(v) {
			return "", nil, fmt.Errorf("okta: no usable X-Okta-Verification-Challenge header: %w", webhook.ErrMalformedPayload)
		}
		b, err := json.Marshal(map[string]string{"verification": v})
		return "application/json", b, err
	},
}

// challenging adds a preset's GET handshake to its primitive's verifier.
type challenging struct {
	Verifier
	challenge func(r *Request) (string, []byte, error)
}

func (c challenging) Challenge(r *Request) (string, []byte, error) { return c.challenge(r) }
