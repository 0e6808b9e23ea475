package sign_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
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

// Every preset in the catalogue either signs from its config (Build's
// delivery verifies; one signed with a forged secret is refused) or needs
// the provider's private key: refused with ErrNeedsKey without one, and
// verified with a test key. send's "test webhook" works for every preset
// it lists, and says why for the others.
func TestBuildVerifiesForEveryPreset(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	edKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	for _, p := range verify.Catalogue() {
		t.Run(p.Name, func(t *testing.T) {
			body := []byte(`{"id":"evt_1","type":"test.event","data":{}}`)
			if p.Name == "twilio" {
				body = []byte("MessageSid=SM1&Body=hello+world")
			}
			secret := secretFor(p)
			req := sign.Request{Type: p.Name, Secret: secret, Body: body, Now: now, URL: "https://hooks.example.com/x",
				Header: "X-Signature", EventID: "evt_1", EventType: "test.event"}
			if sign.NeedsKey(p.Name) {
				if slices.Contains(sign.Types(), p.Name) {
					t.Fatal("listed as signable from config, yet needs a key")
				}
				if _, err := sign.Build(req); !errors.Is(err, sign.ErrNeedsKey) {
					t.Fatalf("without a key: Build = %v, want ErrNeedsKey", err)
				}
				switch {
				case p.Name == "aws-sns" || p.Name == "paypal":
					return // signed with a fetched certificate; verified against a served one in verify's (and e2e's) tests
				case p.Primitive == "sendgrid":
					req.Key, secret = ecKey, base64.StdEncoding.EncodeToString(der)
				case p.Primitive == "discord":
					req.Key, secret = edKey, hex.EncodeToString(edKey.Public().(ed25519.PublicKey))
				default:
					req.Key, secret = edKey, base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey))
				}
			} else if !slices.Contains(sign.Types(), p.Name) {
				t.Fatal("signable from config, yet not listed by Types")
			}
			spec := verify.Spec{Type: p.Name, Secrets: []verify.Secret{verify.Secret(secret)}, URL: req.URL}
			if p.Name == "hmac" {
				spec.Header = "X-Signature"
			}
			v, err := verify.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			d, err := sign.Build(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(&verify.Request{Header: d.Header, Body: d.Body, RawQuery: d.Query, Now: now}); err != nil {
				t.Fatalf("own delivery refused: %v", err)
			}
			if req.Key != nil {
				return
			}
			// What send -forge signs with: a secret of the right form.
			if req.Secret = sign.Forged(p.Name, req.Secret); req.Secret == secret {
				t.Fatalf("Forged returned the secret itself")
			}
			if d, err = sign.Build(req); err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(&verify.Request{Header: d.Header, Body: d.Body, RawQuery: d.Query, Now: now}); !errors.Is(err, webhook.ErrInvalidSignature) {
				t.Fatalf("forged delivery: Verify = %v, want invalid", err)
			}
		})
	}
}

func TestSignRefusesUnknownType(t *testing.T) {
	if _, err := sign.Sign(sign.Request{Type: "nope"}); err == nil {
		t.Fatal("Sign accepted an unknown type")
	}
}
