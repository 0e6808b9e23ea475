package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookq/hookq/internal/handlers"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/store"
	"github.com/hookq/hookq/internal/webhook"
)

func ev(id, typ, data string) *webhook.Event {
	return &webhook.Event{Source: "seed", ID: id, Type: typ, Body: []byte(fmt.Sprintf(`{"id":%q,"type":%q,"data":%s}`, id, typ, data))}
}

func nolog(string, ...any) {}

// The seed handlers against a real Redis store: effects happen once however
// often, and however concurrently, a task runs.
func TestSeedHandlers(t *testing.T) {
	rdb := redistest.Client(t)
	h := handlers.Seed(store.New(rdb), store.NewOnce(rdb, 0, 0), nolog)
	ctx := context.Background()

	pay := ev("evt_p", "payment_success", `{"payment_id":"pay_1","amount":5000,"currency":"PKR"}`)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A concurrent twin may be told to retry later; never a second effect.
			if err := h["payment_success"](ctx, pay); err != nil && !errors.Is(err, store.ErrInProgress) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := rdb.HGet(ctx, store.Prefix+"payments", "pay_1").Val(); got != `{"status":"processed","amount":5000,"currency":"PKR","event_id":"evt_p"}` {
		t.Fatalf("payment record = %s", got)
	}
	if n := rdb.HLen(ctx, store.Prefix+"payments").Val(); n != 1 {
		t.Fatalf("payments = %d", n)
	}
	if err := h["payment_success"](ctx, pay); err != nil { // a later duplicate run: a no-op
		t.Fatal(err)
	}
	if n := rdb.Get(ctx, store.Prefix+"receipts_sent").Val(); n != "1" {
		t.Fatalf("receipts sent = %s, want 1", n)
	}

	for _, o := range []struct {
		id    string
		total int
		high  bool
	}{{"o_1000", 1000, false}, {"o_1001", 1001, true}, {"o_5", 5, false}} {
		if err := h["order_created"](ctx, ev("evt_"+o.id, "order_created", fmt.Sprintf(`{"order_id":%q,"total":%d}`, o.id, o.total))); err != nil {
			t.Fatal(err)
		}
		if got := rdb.HExists(ctx, store.Prefix+"orders_high_value", o.id).Val(); got != o.high {
			t.Fatalf("%s high value = %v, want %v", o.id, got, o.high)
		}
	}
	if err := h["enrollment"](ctx, ev("evt_e", "enrollment_created", `{"enrollment_id":"enr_1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := h["user_registered"](ctx, ev("evt_u", "user_registered", `{"user_id":"u_1"}`)); err != nil {
		t.Fatal(err)
	}
	if !rdb.HExists(ctx, store.Prefix+"enrollments", "enr_1").Val() || !rdb.HExists(ctx, store.Prefix+"users", "u_1").Val() {
		t.Fatal("enrollment or registration not recorded")
	}
}

func TestBadEventsArePermanent(t *testing.T) {
	rdb := redistest.Client(t)
	h := handlers.Seed(store.New(rdb), store.NewOnce(rdb, 0, 0), nolog)
	for name, e := range map[string]*webhook.Event{
		"NotJSON":     {ID: "x", Body: []byte("nope")},
		"NoData":      ev("x", "payment_success", `null`),
		"NoPaymentID": ev("x", "payment_success", `{"amount":1}`),
		"NoTotal":     ev("x", "order_created", `{"order_id":"o"}`),
	} {
		t.Run(name, func(t *testing.T) {
			handler := h["payment_success"]
			if e.Type == "order_created" {
				handler = h["order_created"]
			}
			if err := handler(context.Background(), e); !errors.Is(err, webhook.ErrMalformedPayload) {
				t.Fatalf("err = %v, want malformed (permanent)", err)
			}
		})
	}
}

// TestRecordsAreJSON: a value the provider chose may hold a control
// character or a quote; each record stays valid JSON that reads back as sent.
func TestRecordsAreJSON(t *testing.T) {
	rdb := redistest.Client(t)
	h := handlers.Seed(store.New(rdb), store.NewOnce(rdb, 0, 0), nolog)
	ctx := context.Background()
	const odd = "ev\x01t\"\\\u2028é"
	pay := &webhook.Event{Source: "seed", ID: odd, Type: "payment_success",
		Body: []byte(`{"data":{"payment_id":"pay_odd","amount":12.5,"currency":"PK\u0001R"}}`)}
	if err := h["payment_success"](ctx, pay); err != nil {
		t.Fatal(err)
	}
	order := &webhook.Event{Source: "seed", ID: odd, Type: "order_created", Body: []byte(`{"data":{"order_id":"ord_odd","total":1500}}`)}
	if err := h["order_created"](ctx, order); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		collection, key string
		want            map[string]any
	}{
		{"payments", "pay_odd", map[string]any{"status": "processed", "amount": 12.5, "currency": "PK\x01R", "event_id": odd}},
		{"orders", "ord_odd", map[string]any{"total": 1500.0, "high_value": true, "event_id": odd}},
	} {
		raw := rdb.HGet(ctx, store.Prefix+tc.collection, tc.key).Val()
		var got map[string]any
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("%s record is not JSON: %v: %q", tc.collection, err, raw)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s record (-want +got):\n%s", tc.collection, diff)
		}
	}
}

// TestExamples: each demo event is one its Seed handler processes, with the
// effects the seed promises: a 5000 PKR payment, a high-value order.
func TestExamples(t *testing.T) {
	rdb := redistest.Client(t)
	h := handlers.Seed(store.New(rdb), store.NewOnce(rdb, 0, 0), nolog)
	ctx := context.Background()
	examples := handlers.Examples("run1")
	if len(examples) != len(handlers.ExampleTypes) {
		t.Fatalf("%d examples, %d types", len(examples), len(handlers.ExampleTypes))
	}
	for _, e := range examples {
		ev := &webhook.Event{Source: "seed", ID: e.ID, Type: e.Type, Body: e.Body()}
		if err := h[e.Handler](ctx, ev); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}
	if got := rdb.HGet(ctx, store.Prefix+"payments", "pay_run1").Val(); got != `{"status":"processed","amount":5000,"currency":"PKR","event_id":"evt_pay_run1"}` {
		t.Errorf("payment record = %s", got)
	}
	if !rdb.HExists(ctx, store.Prefix+"orders_high_value", "ord_run1").Val() {
		t.Error("the example order is not flagged high value")
	}
	if !rdb.HExists(ctx, store.Prefix+"enrollments", "enr_run1").Val() || !rdb.HExists(ctx, store.Prefix+"users", "usr_run1").Val() {
		t.Error("enrollment or registration not recorded")
	}
	if _, ok := handlers.NewExample("nope", "x", "x"); ok {
		t.Error("NewExample accepted an unknown type")
	}
}
