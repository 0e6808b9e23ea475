// Package handlers holds business processing: the built-in examples from
// hookq's seed (a payment, an order, an enrollment, a registration). Each is
// idempotent, because Asynq may run a task twice. examples.go holds the
// events that exercise them, which `hookqctl demo` and `trigger` send.
package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hookq/hookq/internal/webhook"
)

// Store records facts once. Record stores value under key in collection
// unless the key is already there, and reports whether this call stored it.
type Store interface {
	Record(ctx context.Context, collection, key, value string) (first bool, err error)
	// Incr adds one to a counter: not idempotent, so it runs under Once.
	Incr(ctx context.Context, counter string) error
}

// Once runs a side effect at most once per key to completion, even when
// Asynq runs a task twice (store.Once).
type Once interface {
	Do(ctx context.Context, key string, fn func(context.Context) error) (ran bool, err error)
}

// Func is a business handler: the worker runs it as it is.
type Func = webhook.HandlerFunc

// HighValueThreshold is the order total, in PKR, above which an order is
// flagged as high value.
const HighValueThreshold = 1000

// Logf reports what a handler did, for humans.
type Logf func(format string, args ...any)

// Seed returns the example handlers by the names routes use.
func Seed(s Store, once Once, logf Logf) map[string]Func {
	return map[string]Func{
		"payment_success": paymentSuccess(s, once, logf),
		"order_created":   orderCreated(s, logf),
		"enrollment":      record(s, logf, "enrollments", "enrollment_id"),
		"user_registered": record(s, logf, "users", "user_id"),
	}
}

// outcome words for Logf.
func firstOr(first bool, yes, no string) string {
	if first {
		return yes
	}
	return no
}

// data is the seed events' common shape: {"id","type","data":{...}}.
type data struct {
	Data map[string]any `json:"data"`
}

// ErrBadEvent wraps payloads a handler cannot use; retrying cannot help.
var ErrBadEvent = fmt.Errorf("%w: bad event", webhook.ErrMalformedPayload)

// fields decodes ev's data object and, from it, the id the handler keys
// its record by (data.key).
func fields(ev *webhook.Event, key string) (map[string]any, string, error) {
	var d data
	if err := json.Unmarshal(ev.Body, &d); err != nil || d.Data == nil {
		return nil, "", fmt.Errorf("%w: want a JSON object with a data object", ErrBadEvent)
	}
	id, err := str(d.Data, key)
	return d.Data, id, err
}

func str(m map[string]any, k string) (string, error) {
	switch v := m[k].(type) {
	case string:
		if v != "" {
			return v, nil
		}
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("%w: data.%s missing", ErrBadEvent, k)
}

// paymentRecord and orderRecord are the values recorded per payment and
// order. encoding/json writes them: a value the provider chose (a currency,
// an event id) may hold any character, and only JSON escaping keeps the
// record valid JSON.
type paymentRecord struct {
	Status   string  `json:"status"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	EventID  string  `json:"event_id"`
}

type orderRecord struct {
	Total     float64 `json:"total"`
	HighValue bool    `json:"high_value"`
	EventID   string  `json:"event_id"`
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// paymentSuccess marks the payment processed exactly once per payment id,
// however often the event (or its task) arrives, and sends one receipt per
// payment: a non-idempotent effect, so it runs under Once.
func paymentSuccess(s Store, once Once, logf Logf) Func {
	return func(ctx context.Context, ev *webhook.Event) error {
		d, id, err := fields(ev, "payment_id")
		if err != nil {
			return err
		}
		amount, _ := d["amount"].(float64)
		cur, _ := d["currency"].(string)
		rec, err := jsonText(paymentRecord{Status: "processed", Amount: amount, Currency: cur, EventID: ev.ID})
		if err != nil {
			return err
		}
		first, err := s.Record(ctx, "payments", id, rec)
		if err != nil {
			return err
		}
		logf("payment %s of %v %s %s", id, amount, cur, firstOr(first, "marked processed", "was already processed: nothing to do"))
		sent, err := once.Do(ctx, "receipt:"+id, func(ctx context.Context) error { return s.Incr(ctx, "receipts_sent") })
		if sent {
			logf("receipt for payment %s sent", id)
		}
		return err
	}
}

// orderCreated records the order and flags totals over HighValueThreshold.
func orderCreated(s Store, logf Logf) Func {
	return func(ctx context.Context, ev *webhook.Event) error {
		d, id, err := fields(ev, "order_id")
		if err != nil {
			return err
		}
		total, ok := d["total"].(float64)
		if !ok {
			return fmt.Errorf("%w: data.total missing", ErrBadEvent)
		}
		if total > HighValueThreshold {
			if _, err := s.Record(ctx, "orders_high_value", id, ev.ID); err != nil {
				return err
			}
		}
		rec, err := jsonText(orderRecord{Total: total, HighValue: total > HighValueThreshold, EventID: ev.ID})
		if err != nil {
			return err
		}
		first, err := s.Record(ctx, "orders", id, rec)
		if err == nil {
			flag := ""
			if total > HighValueThreshold {
				flag = " and flagged HIGH VALUE"
			}
			logf("order %s (total %v) %s", id, total, firstOr(first, "recorded"+flag, "was already recorded"))
		}
		return err
	}
}

func record(s Store, logf Logf, collection, key string) Func {
	return func(ctx context.Context, ev *webhook.Event) error {
		_, id, err := fields(ev, key)
		if err != nil {
			return err
		}
		first, err := s.Record(ctx, collection, id, ev.ID)
		if err == nil {
			logf("%s %s %s", collection, id, firstOr(first, "recorded", "was already recorded"))
		}
		return err
	}
}
