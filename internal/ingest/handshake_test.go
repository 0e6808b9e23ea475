package ingest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// confirming is a verifier whose provider must be called back; the call
// back fails when fail is set.
type confirming struct{ fail bool }

func (confirming) Verify(*verify.Request) error { return nil }

func (c confirming) Confirm(_ context.Context, r *verify.Request) ([]byte, bool, error) {
	if !strings.Contains(string(r.Body), "SubscriptionConfirmation") {
		return nil, false, nil
	}
	if c.fail {
		return nil, true, fmt.Errorf("test: %w", verify.ErrConfirmFailed)
	}
	return []byte(`{"status":"subscribed"}`), true, nil
}

// Probes are answered before a signature is required, confirmations after
// verification; neither is enqueued. A refused challenge is 403, a failed
// call back 502.
func TestHandshakesOverHTTP(t *testing.T) {
	newV := func(spec verify.Spec) verify.Verifier {
		t.Helper()
		v, err := verify.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	src := func(name string, v verify.Verifier) *Source {
		k, _ := verify.Lookup(name)
		return &Source{Name: name, Type: name, Verifier: v, EventID: k.EventID, EventType: k.EventType,
			SignatureHeaders: verify.SignatureHeaders(verify.Spec{Type: name}), DedupeTTL: time.Hour,
			Routes: []Route{{Task: webhook.Task{Route: "all"}}}}
	}
	snsOK, snsFail := src("aws-sns", confirming{}), src("aws-sns", confirming{fail: true})
	snsOK.Name, snsFail.Name = "sns-ok", "sns-fail"
	enq := &fakeEnqueuer{}
	srv := httptest.NewServer(NewServer(zap.NewNop(), map[string]*Source{
		"graph":    src("microsoft-graph", newV(verify.Spec{Type: "microsoft-graph", Secrets: []verify.Secret{"state"}})),
		"asana":    src("asana", newV(verify.Spec{Type: "asana", Secrets: []verify.Secret{"placeholder"}})),
		"meta":     src("meta", newV(verify.Spec{Type: "meta", Secrets: []verify.Secret{"app"}, VerifyToken: "tok"})),
		"sns-ok":   snsOK,
		"sns-fail": snsFail,
	}, enq, nil, nil, Options{MaxBodyBytes: 1024, RedisTimeout: time.Second}))
	defer srv.Close()

	call := caller(t, srv.URL)

	if status, h, body := call("POST", "/webhooks/graph?validationToken="+url.QueryEscape("<b>tok</b>"), nil, ""); status != 200 || body != "<b>tok</b>" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/plain") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("graph validation: %d %q %q", status, h.Get("Content-Type"), body)
	}
	if status, h, _ := call("POST", "/webhooks/asana", map[string]string{"X-Hook-Secret": "s3"}, ""); status != 200 || h.Get("X-Hook-Secret") != "s3" {
		t.Fatalf("asana handshake: %d %q", status, h.Get("X-Hook-Secret"))
	}
	if status, _, body := call("POST", "/webhooks/asana", nil, "{}"); status != 401 || !strings.Contains(body, "missing_signature") {
		t.Fatalf("asana without secret or signature: %d %s", status, body)
	}
	if status, _, body := call("GET", "/webhooks/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=nope", nil, ""); status != 403 || !strings.Contains(body, `"error":"forbidden"`) {
		t.Fatalf("meta wrong token: %d %s", status, body)
	}
	if status, _, body := call("POST", "/webhooks/sns-ok", nil, `{"Type":"SubscriptionConfirmation"}`); status != 200 || body != `{"status":"subscribed"}` {
		t.Fatalf("confirmation: %d %s", status, body)
	}
	if status, _, body := call("POST", "/webhooks/sns-fail", nil, `{"Type":"SubscriptionConfirmation"}`); status != 502 || !strings.Contains(body, "confirmation_failed") {
		t.Fatalf("failed confirmation: %d %s", status, body)
	}
	if len(enq.got) != 0 {
		t.Fatalf("a handshake enqueued %d events", len(enq.got))
	}
	if status, _, body := call("POST", "/webhooks/sns-ok", nil, `{"Type":"Notification","MessageId":"m-1"}`); status != 200 || !strings.Contains(body, `"event_id":"m-1"`) || len(enq.got) != 1 {
		t.Fatalf("notification: %d %s (enqueued %d)", status, body, len(enq.got))
	}
}
