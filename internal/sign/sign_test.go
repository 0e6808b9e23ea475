package sign_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// secretFor returns a secret of the shape a preset's verifier accepts.
func secretFor(p verify.Preset) string {
	switch {
	case p.Primitive == "standardwebhooks" || p.Primitive == "svix":
		return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	case p.Params.SecretEncoding == "hex":
		return "00112233445566778899aabbccddeeff"
	case p.Params.SecretEncoding == "base64":
		return "c2VjcmV0LWtleQ=="
	case p.Params.Scheme == "basic":
		return "hookq:password"
	}
	return "s3cret-value"
}

// Every type Sign supports produces a delivery its verifier accepts, and a
// delivery signed with another secret is refused: send's "test webhook"
// works for every preset it lists.
func TestSignVerifiesForEveryType(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"test.event","data":{}}`)
	for _, name := range sign.Types() {
		t.Run(name, func(t *testing.T) {
			p, ok := verify.Find(name)
			if !ok {
				t.Fatalf("%s is not in the catalogue", name)
			}
			spec := verify.Spec{Type: name, Secrets: []verify.Secret{verify.Secret(secretFor(p))}, URL: "https://hooks.example.com/x"}
			if name == "hmac" {
				spec.Header = "X-Signature"
			}
			v, err := verify.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			req := sign.Request{Type: name, Secret: secretFor(p), Body: body, Now: now, URL: spec.URL,
				Header: "X-Signature", EventID: "evt_1", EventType: "test.event"}
			h, err := sign.Sign(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(&verify.Request{Header: h, Body: body, Now: now}); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
			// What send -forge signs with: a secret of the right form.
			if req.Secret = sign.Forged(name, req.Secret); req.Secret == secretFor(p) {
				t.Fatalf("Forged returned the secret itself")
			}
			h, err = sign.Sign(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(&verify.Request{Header: h, Body: body, Now: now}); !errors.Is(err, webhook.ErrInvalidSignature) {
				t.Fatalf("forged signature: Verify = %v, want invalid", err)
			}
		})
	}
}

func TestSignRefusesUnknownType(t *testing.T) {
	if _, err := sign.Sign(sign.Request{Type: "nope"}); err == nil {
		t.Fatal("Sign accepted an unknown type")
	}
}
