package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

func TestExtract(t *testing.T) {
	h := http.Header{}
	h.Set("X-Event-Id", "hdr-1")
	for _, c := range []struct {
		name, body, ctype string
		f                 verify.Field
		want              string
		err               bool
	}{
		{"JSONString", `{"id":"evt_1"}`, "application/json", verify.Field{JSON: "id"}, "evt_1", false},
		{"Nested", `{"event-data":{"id":"m1"}}`, "application/json", verify.Field{JSON: "event-data.id"}, "m1", false},
		{"ArrayIndex", `[{"event":"open"}]`, "application/json", verify.Field{JSON: "0.event"}, "open", false},
		{"NumberAsText", `{"type":1}`, "application/json", verify.Field{JSON: "type"}, "1", false},
		{"Header", `{}`, "application/json", verify.Field{Header: "X-Event-Id"}, "hdr-1", false},
		{"Form", `MessageSid=SM1&Body=hi`, "application/x-www-form-urlencoded", verify.Field{JSON: "MessageSid"}, "SM1", false},
		{"GjsonOperatorsLiteral", `{"a*b":"x"}`, "application/json", verify.Field{JSON: "a*b"}, "x", false},
		{"ErrMissing", `{"other":1}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrNull", `{"id":null}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrEmpty", `{"id":""}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrNotJSON", `{"id":"x"`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrTooLong", `{"id":"` + strings.Repeat("a", 300) + `"}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrNewline", `{"id":"a\nb"}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrTab", `{"id":"a\tb"}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrDEL", `{"id":"a\u007fb"}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrMissingHeader", `{}`, "application/json", verify.Field{Header: "X-Nope"}, "", true},
		{"ErrDuplicateKey", `{"id":"a","id":"b"}`, "application/json", verify.Field{JSON: "id"}, "", true},
		{"ErrCaseVariantKey", `{"event-data":{"id":"a"},"EVENT-DATA":{"id":"b"}}`, "application/json", verify.Field{JSON: "event-data.id"}, "", true},
		{"ErrDuplicateFormField", `MessageSid=SM1&MessageSid=SM2`, "application/x-www-form-urlencoded", verify.Field{JSON: "MessageSid"}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			format := verify.FormatJSON
			if c.ctype == "application/x-www-form-urlencoded" {
				format = verify.FormatForm
			}
			got, err := newPayload([]byte(c.body), format).field(h, c.f, "event id")
			if c.err {
				if !errors.Is(err, webhook.ErrMalformedPayload) {
					t.Fatalf("err = %v, want malformed", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	// Fallback locations: the first present one wins.
	fb := verify.Field{Header: "X-Shopify-Webhook-Id", Else: &verify.Field{Header: "X-Event-Id"}}
	if got, err := newPayload([]byte(`{}`), "").first(h, fb, "event id"); got != "hdr-1" || err != nil {
		t.Fatalf("fallback: %q %v", got, err)
	}
	if _, err := newPayload([]byte(`{}`), "").first(h, verify.Field{Header: "A", Else: &verify.Field{Header: "B"}}, "event id"); !errors.Is(err, webhook.ErrMalformedPayload) {
		t.Fatalf("no location present: %v", err)
	}
	id, _ := newPayload([]byte("abc"), "").eventID(h, verify.Field{}, nil)
	if id != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("body hash id = %s", id)
	}
	// A signature over decoded content: the id hashes that, not the bytes.
	id, _ = newPayload([]byte("a=b"), verify.FormatForm).eventID(h, verify.Field{}, []byte("abc"))
	if id != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("signed-content id = %s", id)
	}
	// A present but refused location never falls back to the next one.
	dup := http.Header{"A": {"1", "2"}, "B": {"3"}}
	if _, err := newPayload(nil, "").first(dup, verify.Field{Header: "A", Else: &verify.Field{Header: "B"}}, "event id"); err == nil {
		t.Fatal("a repeated header fell back to the next location")
	}
}

// fakeEnqueuer is enough for the handler's pure logic; the Redis protocol
// itself is tested against a real Redis in package queue.
type fakeEnqueuer struct {
	err   error
	dup   bool
	delay time.Duration
	got   []*webhook.Event
	tasks [][]webhook.Task
}

func (f *fakeEnqueuer) Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (bool, error) {
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return false, errors.Join(webhook.ErrQueueUnavailable, ctx.Err())
	}
	f.got = append(f.got, ev)
	f.tasks = append(f.tasks, tasks)
	return f.dup, f.err
}

func newTestServer(t *testing.T, enq Enqueuer) http.Handler {
	v, err := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	src := &Source{Name: "seed", Type: "hmac", Verifier: v, DedupeTTL: time.Hour,
		EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"},
		Routes: []Route{
			{Events: []string{"payment_*"}, Task: webhook.Task{Route: "payments", MaxRetry: 3}, PassHeaders: []string{"X-Request-Id", "Authorization"}},
			{Events: nil, Task: webhook.Task{Route: "audit"}},
			{Events: []string{"order_*"}, Task: webhook.Task{Route: "orders"}},
		}}
	return NewServer(zap.NewNop(), map[string]*Source{"seed": src}, enq, nil, nil, Options{MaxBodyBytes: 1024, RedisTimeout: 100 * time.Millisecond})
}

func do(h http.Handler, method, path string, body []byte, secret string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "req-7")
	if secret != "" {
		hdr, _ := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: secret, Body: body})
		req.Header.Set("X-Signature", hdr.Get("X-Signature"))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHandleWebhook(t *testing.T) {
	payment := []byte(`{"id":"evt_1","type":"payment_success"}`)
	for _, c := range []struct {
		name, method, path string
		body               []byte
		secret             string
		enq                *fakeEnqueuer
		status             int
		want               string
		tasks              []string
	}{
		{name: "Accepted", method: "POST", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{}, status: 200,
			want: `{"status":"accepted","source":"seed","event_id":"evt_1","event_type":"payment_success"}`, tasks: []string{"payments", "audit"}},
		{name: "Duplicate", method: "POST", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{dup: true}, status: 200,
			want: `{"status":"duplicate","source":"seed","event_id":"evt_1","event_type":"payment_success"}`, tasks: []string{"payments", "audit"}},
		{name: "QueueDown", method: "POST", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{err: webhook.ErrQueueUnavailable}, status: 503,
			want: `{"error":"queue_unavailable","source":"seed","event_id":"evt_1","event_type":"payment_success"}`, tasks: []string{"payments", "audit"}},
		{name: "QueueSlow", method: "POST", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{delay: time.Second}, status: 503,
			want: `{"error":"queue_unavailable","source":"seed","event_id":"evt_1","event_type":"payment_success"}`},
		{name: "UnexpectedError", method: "POST", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{err: errors.New("boom")}, status: 500,
			want: `{"error":"internal_error","source":"seed","event_id":"evt_1","event_type":"payment_success"}`, tasks: []string{"payments", "audit"}},
		{name: "Forged", method: "POST", path: "/webhooks/seed", body: payment, secret: "wrong", enq: &fakeEnqueuer{}, status: 401, want: `{"error":"invalid_signature","source":"seed"}`},
		{name: "Unsigned", method: "POST", path: "/webhooks/seed", body: payment, enq: &fakeEnqueuer{}, status: 401, want: `{"error":"missing_signature","source":"seed"}`},
		{name: "UnknownSource", method: "POST", path: "/webhooks/nope", body: payment, secret: "s3cret", enq: &fakeEnqueuer{}, status: 404, want: `{"error":"unknown_source"}`},
		{name: "WrongMethod", method: "PUT", path: "/webhooks/seed", body: payment, secret: "s3cret", enq: &fakeEnqueuer{}, status: 405, want: `{"error":"method_not_allowed"}`},
		{name: "NotFound", method: "POST", path: "/elsewhere", body: payment, secret: "s3cret", enq: &fakeEnqueuer{}, status: 404, want: `{"error":"not_found"}`},
		{name: "TooLarge", method: "POST", path: "/webhooks/seed", body: bytes.Repeat([]byte("a"), 1025), secret: "s3cret", enq: &fakeEnqueuer{}, status: 413, want: `{"error":"body_too_large","source":"seed"}`},
		{name: "NoID", method: "POST", path: "/webhooks/seed", body: []byte(`{"type":"x"}`), secret: "s3cret", enq: &fakeEnqueuer{}, status: 400,
			want: `{"error":"malformed_payload","detail":"malformed payload: event id field id missing","source":"seed"}`},
		{name: "CatchAllRouteOnly", method: "POST", path: "/webhooks/seed", body: []byte(`{"id":"e","type":"zzz"}`), secret: "s3cret", enq: &fakeEnqueuer{}, status: 200,
			want: `{"status":"accepted","source":"seed","event_id":"e","event_type":"zzz"}`, tasks: []string{"audit"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := do(newTestServer(t, c.enq), c.method, c.path, c.body, c.secret)
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.want {
				t.Fatalf("got %d %s\nwant %d %s", w.Code, w.Body.String(), c.status, c.want)
			}
			if c.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", w.Header().Get("Allow"))
			}
			if c.status == 503 && w.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			var routes []string
			if len(c.enq.tasks) > 0 {
				for _, tk := range c.enq.tasks[0] {
					routes = append(routes, tk.Route)
				}
				ev := c.enq.got[0]
				if !bytes.Equal(ev.Body, c.body) || ev.Headers != nil || ev.VerifiedBy != "hmac" || ev.ReceivedAt.IsZero() {
					t.Fatalf("event = %+v", ev)
				}
				// pass_headers stay with their own route.
				for _, tk := range c.enq.tasks[0] {
					want := map[string]string(nil)
					if tk.Route == "payments" {
						want = map[string]string{"X-Request-Id": "req-7"}
					}
					if fmt.Sprint(tk.Headers) != fmt.Sprint(want) {
						t.Fatalf("route %s carries headers %v, want %v", tk.Route, tk.Headers, want)
					}
				}
			}
			if strings.Join(routes, ",") != strings.Join(c.tasks, ",") {
				t.Fatalf("routes = %v, want %v", routes, c.tasks)
			}
		})
	}
}

func TestIgnoredWhenNoRoute(t *testing.T) {
	v, _ := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	src := &Source{Name: "seed", Verifier: v, EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"},
		Routes: []Route{{Events: []string{"order_*"}, Task: webhook.Task{Route: "orders"}}}}
	enq := &fakeEnqueuer{}
	h := NewServer(zap.NewNop(), map[string]*Source{"seed": src}, enq, nil, nil, Options{})
	w := do(h, "POST", "/webhooks/seed", []byte(`{"id":"e","type":"ping"}`), "s3cret")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"ignored"`) || len(enq.got) != 0 {
		t.Fatalf("got %d %s, enqueued %d", w.Code, w.Body.String(), len(enq.got))
	}
}

// The event keeps the whole Content-Type, parameters included, so forward
// can pass it on as sent (a multipart boundary is needed to parse the body).
func TestContentTypeKeptWhole(t *testing.T) {
	enq := &fakeEnqueuer{}
	h := newTestServer(t, enq)
	body := []byte(`{"id":"evt_ct","type":"payment_success"}`)
	req := httptest.NewRequest("POST", "/webhooks/seed", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	hdr, _ := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: "s3cret", Body: body})
	req.Header.Set("X-Signature", hdr.Get("X-Signature"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || len(enq.got) != 1 || enq.got[0].ContentType != "application/json; charset=utf-8" {
		t.Fatalf("%d %s; content type kept = %+v", w.Code, w.Body.String(), enq.got)
	}
}

// Shopify's newer deliveries use unprefixed headers (shopify-hmac-sha256,
// shopify-event-id, shopify-topic); they were refused with 400 when only
// the X-Shopify-* names were read.
func TestShopifyUnprefixedHeaders(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "shopify", Secrets: []verify.Secret{"shpss_k"}})
	if err != nil {
		t.Fatal(err)
	}
	kind, _ := verify.Lookup("shopify")
	src := &Source{Name: "shop", Type: "shopify", Verifier: v, DedupeTTL: time.Hour, EventID: kind.EventID, EventType: kind.EventType,
		Routes: []Route{{Task: webhook.Task{Route: "all"}}}}
	enq := &fakeEnqueuer{}
	h := NewServer(zap.NewNop(), map[string]*Source{"shop": src}, enq, nil, nil, Options{MaxBodyBytes: 1024, RedisTimeout: time.Second})
	body := []byte(`{"id":820982911946154508,"total_price":"403.00"}`)
	sig, _ := sign.Sign(sign.Request{Type: "shopify", Secret: "shpss_k", Body: body})
	for _, c := range []struct {
		name, sigHeader string
		status          int
	}{
		{"OK", "shopify-hmac-sha256", http.StatusOK},
		{"Prefixed", "X-Shopify-Hmac-Sha256", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shop", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(c.sigHeader, sig.Get("X-Shopify-Hmac-Sha256"))
			req.Header.Set("shopify-event-id", "98880550-7158-44d4-b7cd-2c97c8a091b5")
			req.Header.Set("shopify-webhook-id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
			req.Header.Set("shopify-topic", "orders/create")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.status || !strings.Contains(w.Body.String(), `"event_id":"98880550-7158-44d4-b7cd-2c97c8a091b5"`) ||
				!strings.Contains(w.Body.String(), `"event_type":"orders/create"`) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}
