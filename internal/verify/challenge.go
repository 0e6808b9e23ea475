package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/hookq/hookq/internal/webhook"
)

// ErrChallengeRefused is returned by a Challenge whose probe carries the
// wrong verify token (Meta's hub.verify_token): the answer is 403.
var ErrChallengeRefused = errors.New("challenge refused")

// Challenger is implemented by verifiers whose provider proves the endpoint
// with a GET before it sends events (Okta, Meta, X CRC, Dropbox). The
// ingest answers GET /webhooks/{source} only for these; Challenge returns
// the body to answer with, or an error wrapping webhook.ErrMalformedPayload
// or ErrChallengeRefused. The GET carries no event and is never enqueued.
type Challenger interface {
	Challenge(r *Request) (contentType string, body []byte, err error)
}

type challengeFunc func(r *Request) (string, []byte, error)

// maxChallenge bounds an echoed value: every provider's is far shorter.
const maxChallenge = 1024

// challenges are the GET handshakes a preset can name in Params.Challenge,
// each built from the source's Spec (its secrets, its verify token).
var challenges = map[string]func(Spec) challengeFunc{
	// Okta event hooks: echo X-Okta-Verification-Challenge as
	// {"verification": …}. Okta's docs do not promise the hook's
	// authorization header on this request, so none is required: echoing
	// proves only that the URL answers, and every event is still checked.
	"okta": func(Spec) challengeFunc {
		return func(r *Request) (string, []byte, error) {
			v, err := echoable("okta", "X-Okta-Verification-Challenge header", r.Header.Get("X-Okta-Verification-Challenge"))
			if err != nil {
				return "", nil, err
			}
			b, err := json.Marshal(map[string]string{"verification": v})
			return "application/json", b, err
		}
	},
	// Meta (Facebook, Instagram, WhatsApp): hub.mode=subscribe with the
	// verify token set in the App Dashboard; hub.challenge is echoed only
	// when the token matches, so a stranger cannot subscribe the URL.
	"hub": func(s Spec) challengeFunc {
		return func(r *Request) (string, []byte, error) {
			q, _ := url.ParseQuery(r.RawQuery)
			if q.Get("hub.mode") != "subscribe" {
				return "", nil, fmt.Errorf("%s: hub.mode is not subscribe: %w", s.Type, webhook.ErrMalformedPayload)
			}
			c, err := echoable(s.Type, "hub.challenge", q.Get("hub.challenge"))
			if err != nil {
				return "", nil, err
			}
			// Both sides hashed: not even the token's length leaks.
			got, want := sha256.Sum256([]byte(q.Get("hub.verify_token"))), sha256.Sum256([]byte(s.VerifyToken))
			if s.VerifyToken == "" || !hmac.Equal(got[:], want[:]) {
				return "", nil, fmt.Errorf("%s: hub.verify_token does not match verify_token: %w", s.Type, ErrChallengeRefused)
			}
			return "text/plain; charset=utf-8", []byte(c), nil
		}
	},
	// X (Twitter) Account Activity CRC: {"response_token": "sha256=" +
	// base64(HMAC-SHA256(consumer secret, crc_token))}. Only the holder of
	// the consumer secret can answer; the first secret is the current one.
	"crc": func(s Spec) challengeFunc {
		return func(r *Request) (string, []byte, error) {
			q, _ := url.ParseQuery(r.RawQuery)
			t, err := echoable(s.Type, "crc_token", q.Get("crc_token"))
			if err != nil {
				return "", nil, err
			}
			m := hmac.New(sha256.New, []byte(s.Secrets[0]))
			m.Write([]byte(t))
			b, err := json.Marshal(map[string]string{"response_token": "sha256=" + base64.StdEncoding.EncodeToString(m.Sum(nil))})
			return "application/json", b, err
		}
	},
	// Dropbox: echo the challenge query parameter as text/plain (the
	// ingest adds X-Content-Type-Options: nosniff to every challenge).
	"dropbox": func(s Spec) challengeFunc {
		return func(r *Request) (string, []byte, error) {
			q, _ := url.ParseQuery(r.RawQuery)
			c, err := echoable(s.Type, "challenge", q.Get("challenge"))
			if err != nil {
				return "", nil, err
			}
			return "text/plain; charset=utf-8", []byte(c), nil
		}
	},
}

// echoable checks a value a provider asks to have echoed.
func echoable(provider, what, v string) (string, error) {
	if v == "" || len(v) > maxChallenge || !utf8.ValidString(v) {
		return "", fmt.Errorf("%s: no usable %s: %w", provider, what, webhook.ErrMalformedPayload)
	}
	return v, nil
}

// challenging adds a preset's GET handshake to its primitive's verifier.
type challenging struct {
	Verifier
	challenge challengeFunc
}

func (c challenging) Challenge(r *Request) (string, []byte, error) { return c.challenge(r) }

// Answer is the reply to a probe: a status 200 with these headers and body.
type Answer struct {
	Header      http.Header
	ContentType string
	Body        []byte
}

// Prober is implemented by verifiers whose provider proves the endpoint
// with an unsigned POST before it sends events (Microsoft Graph's
// validationToken, Asana's X-Hook-Secret). Probe sees only the headers and
// query, before the body is read; ok reports that r is such a probe, to be
// answered with a instead of being verified or enqueued.
type Prober interface {
	Probe(r *Request) (a Answer, ok bool)
}

// probes are the POST handshakes a preset can name in Params.Probe.
var probes = map[string]func(r *Request) (Answer, bool){
	// Microsoft Graph: POST ?validationToken=… must be answered within 10 s
	// with the token, decoded, as text/plain.
	"graph": func(r *Request) (Answer, bool) {
		q, _ := url.ParseQuery(r.RawQuery)
		t, err := echoable("microsoft-graph", "validationToken", q.Get("validationToken"))
		if err != nil {
			return Answer{}, false
		}
		return Answer{ContentType: "text/plain; charset=utf-8", Body: []byte(t)}, true
	},
	// Asana: the first POST carries X-Hook-Secret and no signature; echoing
	// the header back completes the handshake. The secret must then be
	// configured as the source's secret: later deliveries are signed with it.
	"asana": func(r *Request) (Answer, bool) {
		if r.Header.Get("X-Hook-Signature") != "" {
			return Answer{}, false
		}
		s, err := echoable("asana", "X-Hook-Secret", r.Header.Get("X-Hook-Secret"))
		if err != nil {
			return Answer{}, false
		}
		return Answer{Header: http.Header{"X-Hook-Secret": {s}}}, true
	},
}

// probing adds a preset's POST probe to its primitive's verifier.
type probing struct {
	Verifier
	probe func(r *Request) (Answer, bool)
}

func (p probing) Probe(r *Request) (Answer, bool) { return p.probe(r) }
