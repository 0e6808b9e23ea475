package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/form"
	"github.com/tidwall/gjson"
)

// Stripe lists Stripe's events (GET /v1/events, the last 30 days) with the
// official client. Each event's JSON is the body Stripe's webhook carries,
// and its id is the one ingest extracts, so dedupe matches.
type Stripe struct {
	backend stripe.Backend
	key     string
}

// NewStripe returns a Stripe provider. apiURL is empty for Stripe itself;
// hc should carry RateLimited.
func NewStripe(apiKey, apiURL string, hc *http.Client) *Stripe {
	cfg := &stripe.BackendConfig{HTTPClient: hc, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	if apiURL != "" {
		cfg.URL = stripe.String(apiURL)
	}
	return &Stripe{backend: stripe.GetBackendWithConfig(stripe.APIBackend, cfg), key: apiKey}
}

// Name implements Provider.
func (*Stripe) Name() string { return "stripe-api" }

// eventPage is a page of events, each kept as the raw JSON Stripe sent.
type eventPage struct {
	stripe.APIResource
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
}

// List implements Provider: newest first, 100 a page, following
// starting_after while has_more.
func (s *Stripe) List(ctx context.Context, since time.Time, fn func(Item) error) error {
	p := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	p.Limit = stripe.Int64(100)
	for {
		var page eventPage
		q := &form.Values{}
		form.AppendTo(q, p) // what the client's own Events.List sends
		if err := s.backend.CallRaw(http.MethodGet, "/v1/events", s.key, []byte(q.Encode()), &stripe.Params{Context: ctx}, &page); err != nil {
			return fmt.Errorf("stripe: list events: %w", err)
		}
		var last string
		for _, raw := range page.Data {
			it, err := stripeItem(raw)
			if err != nil {
				return err
			}
			if err := fn(it); err != nil {
				return err
			}
			last = it.ID
		}
		if !page.HasMore || last == "" {
			return nil
		}
		p.StartingAfter = stripe.String(last)
	}
}

// Redeliver implements Provider; Stripe events are never without a body.
func (*Stripe) Redeliver(context.Context, Item) error {
	return fmt.Errorf("stripe: events are enqueued from the API, not redelivered")
}

// stripeItem reads an event's id, type and creation time. The body is the
// event indented as Stripe's webhooks send it.
func stripeItem(raw json.RawMessage) (Item, error) {
	r := gjson.ParseBytes(raw)
	id, typ, created := r.Get("id"), r.Get("type"), r.Get("created")
	if r.Get("object").Str != "event" || id.Type != gjson.String || typ.Type != gjson.String || created.Type != gjson.Number {
		return Item{}, fmt.Errorf("stripe: list events: an entry is not an event with id, type and created")
	}
	var body bytes.Buffer
	if err := json.Indent(&body, raw, "", "  "); err != nil {
		return Item{}, fmt.Errorf("stripe: event %s: %w", id.Str, err)
	}
	return Item{ID: id.Str, Type: typ.Str, Created: time.Unix(created.Int(), 0), Body: body.Bytes()}, nil
}
