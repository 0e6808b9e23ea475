package ingest

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// GET /webhooks/{source} over real HTTP: answered only for presets with a
// GET handshake (Okta), 405 for every other source.
func TestChallengeOverHTTP(t *testing.T) {
	okta, err := verify.New(verify.Spec{Type: "okta", Secrets: []verify.Secret{"hook-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	kind, _ := verify.Lookup("okta")
	seed, err := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	enq := &fakeEnqueuer{}
	srv := httptest.NewServer(NewServer(zap.NewNop(), map[string]*Source{
		"okta": {Name: "okta", Type: "okta", Verifier: okta, DedupeTTL: time.Hour, EventID: kind.EventID, EventType: kind.EventType,
			Routes: []Route{{Task: webhook.Task{Route: "all"}}}},
		"seed": {Name: "seed", Type: "hmac", Verifier: seed, EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"}},
	}, enq, nil, nil, Options{MaxBodyBytes: 1024, RedisTimeout: time.Second}))
	defer srv.Close()

	call := caller(t, srv.URL)

	for _, c := range []struct {
		name, method, path string
		hdr                map[string]string
		status             int
		want               string
	}{
		{"OK", "GET", "/webhooks/okta", map[string]string{"X-Okta-Verification-Challenge": "X5pVCsuRqpVvZkhYn1Q9"}, 200, `{"verification":"X5pVCsuRqpVvZkhYn1Q9"}`},
		{"QuotesEscaped", "GET", "/webhooks/okta", map[string]string{"X-Okta-Verification-Challenge": `a"b`}, 200, `{"verification":"a\"b"}`},
		{"ErrNoChallenge", "GET", "/webhooks/okta", nil, 400, `"error":"malformed_payload"`},
		{"ErrNoGETHandshake", "GET", "/webhooks/seed", nil, 405, `"error":"method_not_allowed"`},
		{"ErrUnknownSource", "GET", "/webhooks/nope", nil, 404, `"error":"unknown_source"`},
		{"ErrPUT", "PUT", "/webhooks/okta", nil, 405, `"error":"method_not_allowed"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := call(c.method, c.path, c.hdr, "")
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%s %s = %d %s, want %d containing %s", c.method, c.path, status, body, c.status, c.want)
			}
			if status == 405 && h.Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", h.Get("Allow"))
			}
		})
	}
	if len(enq.got) != 0 {
		t.Fatalf("a GET enqueued %d events", len(enq.got))
	}
	// Events still need the hook's secret.
	ev := `{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"u-1","eventType":"user.session.start"}]}}`
	if status, _, body := call("POST", "/webhooks/okta", map[string]string{"Authorization": "wrong"}, ev); status != 401 {
		t.Fatalf("wrong secret: %d %s", status, body)
	}
	if status, _, body := call("POST", "/webhooks/okta", map[string]string{"Authorization": "hook-secret", "Content-Type": "application/json"}, ev); status != 200 ||
		!strings.Contains(body, `"event_id":"u-1"`) || !strings.Contains(body, `"event_type":"user.session.start"`) {
		t.Fatalf("event: %d %s", status, body)
	}
}
