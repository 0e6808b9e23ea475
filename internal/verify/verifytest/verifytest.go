// Package verifytest is the conformance suite every verify.Verifier passes,
// in the manner of testing/slogtest: a provider's test describes how to sign
// a delivery, and Run checks the verifier against genuine, tampered, expired,
// rotated, malformed and missing signatures.
package verifytest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// Case describes one verifier type to the suite.
type Case struct {
	// Spec builds the verifier; the suite replaces Secrets.
	Spec verify.Spec
	// Secrets are two valid, distinct secrets (or keys) for rotation tests;
	// Wrong is a well-formed secret that is not configured.
	Secrets [2]verify.Secret
	Wrong   verify.Secret
	// Sign returns the headers (and raw query, if the scheme signs the URL)
	// of a genuine delivery of body signed with secret at time ts.
	Sign func(tb testing.TB, secret verify.Secret, body []byte, ts time.Time) (http.Header, string)
	// Timestamped schemes are checked for expiry; Tolerance is the expected
	// window. FutureAccepted is set where the provider's SDK checks age only.
	Timestamped    bool
	Tolerance      time.Duration
	FutureAccepted bool
	// SignatureHeaders are the headers whose removal must be refused and
	// whose value the suite mangles.
	SignatureHeaders []string
	// Body is a representative delivery; EmptyBodyInvalid is set where the
	// provider says an empty body is never genuine.
	Body             []byte
	EmptyBodyInvalid bool
	// ReEncode, when set, returns the genuine headers with the signature in
	// another encoding (hex for base64 and vice versa), which must be refused.
	ReEncode func(h http.Header) http.Header
	// BodyNotSigned marks schemes where the body is not covered: token
	// schemes (GitLab) and Mailgun, whose signature covers only its own
	// timestamp and token.
	BodyNotSigned bool
	// Embed, when set, is applied to every request the suite builds, after
	// the suite has removed or mangled headers, and returns the headers and
	// body actually delivered. Schemes that carry signature material inside
	// the body (Mailgun's signature object, Linear's webhookTimestamp) have
	// Sign return it as pseudo-headers, listed in SignatureHeaders where their
	// removal must be refused, and Embed moves them into the body. Embed must
	// be deterministic so that Sign can sign the bytes it will produce, and
	// must not modify its arguments. Nil means headers and body go as they are.
	Embed func(h http.Header, body []byte) (http.Header, []byte)
}

var now = time.Unix(1_750_000_000, 0)

// Run runs the conformance suite.
func Run(t *testing.T, c Case) {
	t.Helper()
	build := func(t *testing.T, secrets ...verify.Secret) verify.Verifier {
		t.Helper()
		s := c.Spec
		s.Secrets = secrets
		v, err := verify.New(s)
		if err != nil {
			t.Fatalf("verify.New: %v", err)
		}
		return v
	}
	req := func(h http.Header, q string, body []byte, at time.Time) *verify.Request {
		if c.Embed != nil {
			h, body = c.Embed(h, body)
		}
		return &verify.Request{Header: h, Body: body, RawQuery: q, Now: at}
	}
	check := func(t *testing.T, v verify.Verifier, r *verify.Request, want error) {
		t.Helper()
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("Verify panicked: %v", p)
				}
			}()
			err = v.Verify(r)
		}()
		switch {
		case want == nil && err != nil:
			t.Fatalf("Verify = %v, want nil", err)
		case want != nil && !errors.Is(err, want):
			t.Fatalf("Verify = %v, want %v", err, want)
		}
		if err != nil {
			for _, s := range append(c.Secrets[:], c.Wrong) {
				if strings.Contains(err.Error(), string(s)) {
					t.Fatalf("error %q reveals a secret", err)
				}
			}
		}
	}
	body := c.Body

	t.Run("OK", func(t *testing.T) {
		h, q := c.Sign(t, c.Secrets[0], body, now)
		check(t, build(t, c.Secrets[0]), req(h, q, body, now), nil)
	})
	t.Run("ErrTamperedBody", func(t *testing.T) {
		if c.BodyNotSigned {
			t.Skip("scheme does not sign the body")
		}
		h, q := c.Sign(t, c.Secrets[0], body, now)
		tampered := append([]byte(nil), body...)
		tampered[len(tampered)/2] ^= 0x01
		check(t, build(t, c.Secrets[0]), req(h, q, tampered, now), webhook.ErrInvalidSignature)
		check(t, build(t, c.Secrets[0]), req(h, q, append(append([]byte(nil), body...), ' '), now), webhook.ErrInvalidSignature)
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		h, q := c.Sign(t, c.Wrong, body, now)
		check(t, build(t, c.Secrets[0], c.Secrets[1]), req(h, q, body, now), webhook.ErrInvalidSignature)
	})
	t.Run("Rotation", func(t *testing.T) {
		v := build(t, c.Secrets[0], c.Secrets[1])
		for _, s := range c.Secrets {
			h, q := c.Sign(t, s, body, now)
			check(t, v, req(h, q, body, now), nil)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		if !c.Timestamped {
			t.Skip("scheme has no timestamp")
		}
		v := build(t, c.Secrets[0])
		h, q := c.Sign(t, c.Secrets[0], body, now)
		check(t, v, req(h, q, body, now.Add(c.Tolerance-time.Second)), nil)
		check(t, v, req(h, q, body, now.Add(c.Tolerance+2*time.Second)), webhook.ErrTimestampTolerance)
	})
	t.Run("Future", func(t *testing.T) {
		if !c.Timestamped {
			t.Skip("scheme has no timestamp")
		}
		v := build(t, c.Secrets[0])
		h, q := c.Sign(t, c.Secrets[0], body, now.Add(c.Tolerance+2*time.Second))
		var want error = webhook.ErrTimestampTolerance
		if c.FutureAccepted {
			want = nil
		}
		check(t, v, req(h, q, body, now), want)
	})
	t.Run("ErrMissingHeader", func(t *testing.T) {
		for _, name := range c.SignatureHeaders {
			h, q := c.Sign(t, c.Secrets[0], body, now)
			h.Del(name)
			check(t, build(t, c.Secrets[0]), req(h, q, body, now), webhook.ErrMissingSignature)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		v := build(t, c.Secrets[0])
		for _, name := range c.SignatureHeaders {
			good, q := c.Sign(t, c.Secrets[0], body, now)
			orig := good.Get(name)
			for _, bad := range []string{"x", "=", ",,,", "v1=", "t=,v1=", "sha256=", "%%%", strings.Repeat("A", 4096),
				orig[:len(orig)/2], orig + "zz", "\x00\xff", strings.ToUpper(orig) + "!"} {
				h := good.Clone()
				h.Set(name, bad)
				r := req(h, q, body, now)
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("Verify panicked on %s=%q: %v", name, bad, p)
						}
					}()
					if err := v.Verify(r); err == nil {
						t.Fatalf("Verify accepted %s=%q", name, bad)
					}
				}()
			}
		}
	})
	t.Run("EmptyBody", func(t *testing.T) {
		h, q := c.Sign(t, c.Secrets[0], nil, now)
		var want error
		if c.EmptyBodyInvalid {
			want = webhook.ErrInvalidSignature
		}
		check(t, build(t, c.Secrets[0]), req(h, q, nil, now), want)
	})
	t.Run("ErrWrongEncoding", func(t *testing.T) {
		if c.ReEncode == nil {
			t.Skip("scheme has one encoding only")
		}
		h, q := c.Sign(t, c.Secrets[0], body, now)
		check(t, build(t, c.Secrets[0]), req(c.ReEncode(h), q, body, now), webhook.ErrInvalidSignature)
	})
	t.Run("NilHeader", func(t *testing.T) {
		check(t, build(t, c.Secrets[0]), req(http.Header{}, "", body, now), webhook.ErrMissingSignature)
	})
}
