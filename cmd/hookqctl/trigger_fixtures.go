package main

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/handlers"
)

// fixture builds a realistic body for one provider event, to marshal as
// JSON: id is the event id to use (where the provider puts it in the body),
// now the send time.
type fixture func(id string, now time.Time) any

// fixtures holds, per verifier type, the events trigger can send. "hmac" is
// the seed's scheme: its events are the seed's examples (internal/handlers),
// with the data their handlers need.
var fixtures = map[string]map[string]fixture{
	"stripe": {
		"payment_intent.succeeded":      stripeEvent("payment_intent.succeeded", stripePI("succeeded")),
		"payment_intent.payment_failed": stripeEvent("payment_intent.payment_failed", stripePI("requires_payment_method")),
		"charge.refunded": stripeEvent("charge.refunded", func(s string) map[string]any {
			return map[string]any{"id": "ch_" + s, "object": "charge", "amount": 2000, "amount_refunded": 2000, "currency": "usd",
				"refunded": true, "payment_intent": "pi_" + s, "status": "succeeded"}
		}),
		"checkout.session.completed": stripeEvent("checkout.session.completed", func(s string) map[string]any {
			return map[string]any{"id": "cs_test_" + s, "object": "checkout.session", "amount_total": 2000, "currency": "usd",
				"customer": "cus_" + s, "mode": "payment", "payment_status": "paid", "status": "complete"}
		}),
		"invoice.paid": stripeEvent("invoice.paid", func(s string) map[string]any {
			return map[string]any{"id": "in_" + s, "object": "invoice", "amount_paid": 1500, "currency": "usd",
				"customer": "cus_" + s, "status": "paid", "subscription": "sub_" + s}
		}),
	},
	"github": {
		"push": func(id string, now time.Time) any {
			return map[string]any{"ref": "refs/heads/main", "before": strings.Repeat("0", 40), "after": sha40(id),
				"repository": ghRepo(), "pusher": map[string]any{"name": "octocat", "email": "octocat@example.com"},
				"sender": ghUser(), "head_commit": map[string]any{"id": sha40(id), "message": "Fix the flaky test",
					"timestamp": now.Format(time.RFC3339), "author": map[string]any{"name": "Octo Cat", "username": "octocat"}}}
		},
		"ping": func(id string, _ time.Time) any {
			return map[string]any{"zen": "Keep it logically awesome.", "hook_id": 1, "hook": map[string]any{"type": "Repository",
				"events": []string{"push", "pull_request"}, "active": true}, "repository": ghRepo(), "sender": ghUser()}
		},
		"pull_request": func(id string, now time.Time) any {
			return map[string]any{"action": "opened", "number": 42, "pull_request": map[string]any{"number": 42, "state": "open",
				"title": "Add retries", "user": ghUser(), "created_at": now.Format(time.RFC3339),
				"head": map[string]any{"ref": "feature", "sha": sha40(id)}, "base": map[string]any{"ref": "main"}},
				"repository": ghRepo(), "sender": ghUser()}
		},
		"issues": func(id string, now time.Time) any {
			return map[string]any{"action": "opened", "issue": map[string]any{"number": 7, "title": "It crashes", "state": "open",
				"user": ghUser(), "created_at": now.Format(time.RFC3339)}, "repository": ghRepo(), "sender": ghUser()}
		},
	},
	"shopify": {
		"orders/create": func(id string, now time.Time) any {
			return map[string]any{"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
				"email": "jon@example.com", "created_at": now.Format(time.RFC3339), "currency": "USD", "total_price": "403.00",
				"financial_status": "paid", "name": "#9999", "line_items": []any{map[string]any{"id": 487817672276298554,
					"title": "Aviator sunglasses", "quantity": 1, "price": "199.00", "sku": "SKU2006-001"}}}
		},
		"orders/paid": func(id string, now time.Time) any {
			return map[string]any{"id": 820982911946154508, "financial_status": "paid", "total_price": "403.00",
				"currency": "USD", "processed_at": now.Format(time.RFC3339)}
		},
		"customers/create": func(id string, now time.Time) any {
			return map[string]any{"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob",
				"last_name": "Biller", "created_at": now.Format(time.RFC3339)}
		},
	},
}

func init() {
	seed := map[string]fixture{}
	for _, typ := range handlers.ExampleTypes {
		seed[typ] = func(id string, _ time.Time) any {
			e, _ := handlers.NewExample(typ, id, id)
			return e
		}
	}
	fixtures["hmac"] = seed
	// Standard Webhooks and Svix senders share one envelope shape.
	sw := map[string]fixture{}
	for _, typ := range []string{"invoice.paid", "user.created"} {
		sw[typ] = func(id string, now time.Time) any {
			return map[string]any{"type": typ, "timestamp": now.Format(time.RFC3339),
				"data": map[string]any{"id": "obj_" + id, "status": "ok"}}
		}
	}
	fixtures["standardwebhooks"], fixtures["svix"] = sw, sw
}

func stripePI(status string) func(string) map[string]any {
	return func(s string) map[string]any {
		return map[string]any{"id": "pi_" + s, "object": "payment_intent", "amount": 2000, "amount_received": 2000,
			"currency": "usd", "customer": "cus_" + s, "status": status, "livemode": false}
	}
}

func stripeEvent(typ string, object func(suffix string) map[string]any) fixture {
	return func(id string, now time.Time) any {
		return map[string]any{"id": id, "object": "event", "api_version": "2024-06-20", "created": now.Unix(),
			"type": typ, "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": object(strings.TrimPrefix(id, "evt_"))},
			"request": map[string]any{"id": nil, "idempotency_key": nil}}
	}
}

func ghRepo() map[string]any {
	return map[string]any{"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World", "private": false,
		"default_branch": "main"}
}

func ghUser() map[string]any { return map[string]any{"login": "octocat", "id": 1, "type": "User"} }

// sha40 is a commit-like hex id derived from the event id.
func sha40(id string) string {
	sum := sha1.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

func fixtureNames(kind string) []string {
	var out []string
	for name := range fixtures[kind] {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
