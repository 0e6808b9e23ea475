package verify_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	buildkite "github.com/buildkite/go-buildkite/v4"
	linewebhook "github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
)

// Presets whose providers publish no fixed vector, cross-checked against
// the provider's official Go SDK instead: what hookq (and hookqctl send)
// signs from the preset's parameters the SDK accepts, what the SDK refuses
// hookq refuses too.

func TestLineAgainstSDK(t *testing.T) {
	const secret = "testsecret"
	v, err := verify.New(verify.Spec{Type: "line", Secrets: []verify.Secret{secret}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		body := []byte(fmt.Sprintf(`{"destination":"U0","events":[{"type":"message","webhookEventId":"01H%d","message":{"type":"text","text":"hi %d"}}]}`, i, i))
		h, err := sign.Sign(sign.Request{Type: "line", Secret: secret, Body: body, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if !linewebhook.ValidateSignature(secret, h.Get("X-Line-Signature"), body) {
			t.Fatal("line-bot-sdk-go refuses the preset's signature")
		}
		if err := v.Verify(&verify.Request{Header: h, Body: body, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tampered := bytes.Replace(body, []byte("hi"), []byte("ho"), 1)
		if linewebhook.ValidateSignature(secret, h.Get("X-Line-Signature"), tampered) || v.Verify(&verify.Request{Header: h, Body: tampered}) == nil {
			t.Fatal("tampered body accepted")
		}
	}
}

func TestBuildkiteAgainstSDK(t *testing.T) {
	const secret = "bk-webhook-token"
	v, err := verify.New(verify.Spec{Type: "buildkite", Secrets: []verify.Secret{secret}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		body := []byte(fmt.Sprintf(`{"event":"build.finished","build":{"id":"b-%d","state":"passed"}}`, i))
		h, err := sign.Sign(sign.Request{Type: "buildkite", Secret: secret, Body: body, Now: time.Unix(1_750_000_000+int64(i), 0), EventType: "build.finished"})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{body, bytes.Replace(body, []byte("passed"), []byte("failed"), 1)} {
			r := httptest.NewRequest("POST", "/webhooks/buildkite", bytes.NewReader(b))
			r.Header = h.Clone()
			_, sdkErr := buildkite.ValidatePayload(r, []byte(secret))
			ourErr := v.Verify(&verify.Request{Header: h, Body: b, Now: time.Now()})
			if (sdkErr == nil) != (ourErr == nil) || (sdkErr != nil) != !bytes.Equal(b, body) {
				t.Fatalf("go-buildkite: %v, hookq: %v (genuine: %v)", sdkErr, ourErr, bytes.Equal(b, body))
			}
		}
	}
}
