package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
	"github.com/hookq/hookq/internal/webhook"
)

var sampleBody = []byte(`{"id":"evt_1","type":"payment_success","data":{"amount":5000,"currency":"PKR"}}`)

func hmacHex(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func stripeCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "stripe"},
		Secrets: [2]verify.Secret{"whsec_first", "whsec_second"},
		Wrong:   "whsec_wrong",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			t := strconv.FormatInt(ts.Unix(), 10)
			h := http.Header{}
			h.Set("Stripe-Signature", fmt.Sprintf("t=%s,v0=deadbeef,v1=%s", t, hmacHex(string(s), t, ".", string(body))))
			return h, ""
		},
		Timestamped: true, Tolerance: 5 * time.Minute, FutureAccepted: true,
		SignatureHeaders: []string{"Stripe-Signature"},
		Body:             sampleBody,
	}
}

func TestStripeSeveralV1(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "stripe", Secrets: []verify.Secret{"whsec_new"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Stripe-Signature", "t="+ts+",v1="+hmacHex("whsec_old", ts, ".", string(sampleBody))+",v1="+hmacHex("whsec_new", ts, ".", string(sampleBody)))
	if err := v.Verify(&verify.Request{Header: h, Body: sampleBody, Now: now}); err != nil {
		t.Fatalf("second v1 should match: %v", err)
	}
	// A v0 signature alone never counts.
	h.Set("Stripe-Signature", "t="+ts+",v0="+hmacHex("whsec_new", ts, ".", string(sampleBody)))
	if err := v.Verify(&verify.Request{Header: h, Body: sampleBody, Now: now}); !errors.Is(err, webhook.ErrInvalidSignature) {
		t.Fatalf("v0 only: got %v, want invalid", err)
	}
}

func githubCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "github"},
		Secrets: [2]verify.Secret{"first secret", "second secret"},
		Wrong:   "wrong secret",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			h := http.Header{}
			h.Set("X-Hub-Signature-256", "sha256="+hmacHex(string(s), string(body)))
			return h, ""
		},
		SignatureHeaders: []string{"X-Hub-Signature-256"},
		Body:             sampleBody,
		ReEncode:         reencoded("X-Hub-Signature-256", "sha256=", hexToB64),
	}
}

// GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
func TestGitHubKnownAnswer(t *testing.T) {
	v, _ := verify.New(verify.Spec{Type: "github", Secrets: []verify.Secret{"It's a Secret to Everybody"}})
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	if err := v.Verify(&verify.Request{Header: h, Body: []byte("Hello, World!"), Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// The seed's scheme: X-Signature = hex HMAC-SHA256 of the raw body.

func hmacSeedCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "hmac", Header: "X-Signature"},
		Secrets: [2]verify.Secret{"seed-secret", "seed-secret-2"},
		Wrong:   "not-the-secret",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			h := http.Header{}
			h.Set("X-Signature", hmacHex(string(s), string(body)))
			return h, ""
		},
		SignatureHeaders: []string{"X-Signature"},
		Body:             sampleBody,
		ReEncode:         reencoded("X-Signature", "", hexToB64),
	}
}

func TestHMACTimestampedBase64SHA512(t *testing.T) {
	sign := func(s verify.Secret, ts string, body []byte) string {
		m := hmac.New(sha512.New, []byte(s))
		m.Write([]byte(ts + "." + string(body)))
		return "v1=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	verifytest.Run(t, verifytest.Case{
		Spec: verify.Spec{Type: "hmac", Header: "X-Sig", Prefix: "v1=", Algorithm: "sha512", Encoding: "base64",
			TimestampHeader: "X-Timestamp", SignedPayload: "{timestamp}.{body}"},
		Secrets: [2]verify.Secret{"k1", "k2"},
		Wrong:   "k3",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			h := http.Header{}
			t := strconv.FormatInt(ts.Unix(), 10)
			h.Set("X-Timestamp", t)
			h.Set("X-Sig", sign(s, t, body))
			return h, ""
		},
		Timestamped: true, Tolerance: 5 * time.Minute,
		SignatureHeaders: []string{"X-Sig", "X-Timestamp"},
		Body:             sampleBody,
	})
}

func TestHMACBadSpec(t *testing.T) {
	for name, s := range map[string]verify.Spec{
		"NoHeader":       {Type: "hmac"},
		"BadAlgorithm":   {Type: "hmac", Header: "X", Algorithm: "md5"},
		"BadEncoding":    {Type: "hmac", Header: "X", Encoding: "base32"},
		"BadPlaceholder": {Type: "hmac", Header: "X", SignedPayload: "{nope}"},
		"TimestampNoHdr": {Type: "hmac", Header: "X", SignedPayload: "{timestamp}.{body}"},
		"UnknownType":    {Type: "nope"},
		// A timestamp the signature does not cover can be replaced at will.
		"TimestampUnsigned": {Type: "hmac", Header: "X", TimestampHeader: "X-Timestamp"},
		"TimestampUnsignedTemplate": {Type: "hmac", Header: "X", TimestampHeader: "X-Timestamp", IDHeader: "X-Id",
			SignedPayload: "{id}.{body}"},
	} {
		t.Run(name, func(t *testing.T) {
			s.Secrets = []verify.Secret{"topsecret"}
			_, err := verify.New(s)
			if err == nil {
				t.Fatal("want error")
			}
			if contains(err.Error(), "topsecret") {
				t.Fatalf("error reveals secret: %v", err)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestSecretRedacted(t *testing.T) {
	s := verify.Secret("hunter2")
	if got := fmt.Sprintf("%v %s %#v", s, s, s); got != "REDACTED REDACTED REDACTED" {
		t.Fatalf("got %q", got)
	}
}
