package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
)

// Cross-checks against the providers' official Go SDKs: what the SDK signs
// we accept, what we (and hookqctl send) sign the SDK accepts, and both
// refuse the same tampering.
func TestStripeAgainstStripeGo(t *testing.T) {
	const secret = "whsec_sdk_cross_check"
	v, err := verify.New(verify.Spec{Type: "stripe", Secrets: []verify.Secret{secret}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		body := []byte(fmt.Sprintf(`{"id":"evt_%d","object":"event","type":"charge.succeeded","api_version":"2025-01-27.acacia","data":{"object":{"amount":%d}}}`, i, i*100))
		now := time.Now()
		// SDK signs, we verify.
		sdkSig := "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + hex.EncodeToString(stripewebhook.ComputeSignature(now, body, secret))
		h := http.Header{}
		h.Set("Stripe-Signature", sdkSig)
		if err := v.Verify(&verify.Request{Header: h, Body: body, Now: now}); err != nil {
			t.Fatalf("stripe-go's signature refused: %v", err)
		}
		// We sign, the SDK verifies.
		ours, err := sign.Sign(sign.Request{Type: "stripe", Secret: secret, Body: body, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := stripewebhook.ValidatePayload(body, ours.Get("Stripe-Signature"), secret); err != nil {
			t.Fatalf("stripe-go refuses our signature: %v", err)
		}
		// Both refuse a tampered body.
		tampered := append([]byte(nil), body...)
		tampered[5] ^= 1
		if stripewebhook.ValidatePayload(tampered, sdkSig, secret) == nil || v.Verify(&verify.Request{Header: h, Body: tampered, Now: now}) == nil {
			t.Fatal("tampered body accepted")
		}
	}
}

func TestSlackAgainstSlackGo(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	v, err := verify.New(verify.Spec{Type: "slack", Secrets: []verify.Secret{secret}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		body   string
		mangle func(h http.Header)
		ok     bool
	}{
		{"OK", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`, nil, true},
		{"WrongSignature", `{"event_id":"Ev2"}`, func(h http.Header) { h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(make([]byte, 32))) }, false},
		{"OldTimestamp", `{"event_id":"Ev3"}`, func(h http.Header) {
			ts := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
			h.Set("X-Slack-Request-Timestamp", ts)
			h.Set("X-Slack-Signature", slackSig(secret, ts, `{"event_id":"Ev3"}`))
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := time.Now()
			ts := strconv.FormatInt(now.Unix(), 10)
			h := http.Header{}
			h.Set("X-Slack-Request-Timestamp", ts)
			h.Set("X-Slack-Signature", slackSig(secret, ts, c.body))
			if c.mangle != nil {
				c.mangle(h)
			}
			sdkOK := func() bool {
				sv, err := slack.NewSecretsVerifier(h, secret)
				if err != nil {
					return false
				}
				sv.Write([]byte(c.body))
				return sv.Ensure() == nil
			}()
			oursOK := v.Verify(&verify.Request{Header: h, Body: []byte(c.body), Now: now}) == nil
			if sdkOK != c.ok || oursOK != c.ok {
				t.Fatalf("slack-go ok=%v, hookq ok=%v, want %v", sdkOK, oursOK, c.ok)
			}
		})
	}
}

func slackSig(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}
