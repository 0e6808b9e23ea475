package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// fixture builds a realistic body for one provider event: id is the event
// id to use (where the provider puts it in the body), now the send time.
type fixture func(id string, now time.Time) map[string]any

// fixtures holds, per verifier type, the events trigger can send. "hmac" is
// the seed's scheme, with the data its business handlers need.
var fixtures = map[string]map[string]fixture{
	"hmac": {
		"payment_success": func(id string, _ time.Time) map[string]any {
			return seedBody(id, "payment_success", map[string]any{"payment_id": "pay_" + id, "amount": 5000, "currency": "PKR", "user_id": "usr_42"})
		},
		"order_created": func(id string, _ time.Time) map[string]any {
			return seedBody(id, "order_created", map[string]any{"order_id": "ord_" + id, "total": 1500, "currency": "PKR"})
		},
		"enrollment_created": func(id string, _ time.Time) map[string]any {
			return seedBody(id, "enrollment_created", map[string]any{"enrollment_id": "enr_" + id, "course": "Go 101", "user_id": "usr_42"})
		},
		"user_registered": func(id string, _ time.Time) map[string]any {
			return seedBody(id, "user_registered", map[string]any{"user_id": "usr_" + id, "email": "new.user@example.com"})
		},
	},
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
		"push": func(id string, now time.Time) map[string]any {
			return map[string]any{"ref": "refs/heads/main", "before": strings.Repeat("0", 40), "after": sha40(id),
				"repository": ghRepo(), "pusher": map[string]any{"name": "octocat", "email": "octocat@example.com"},
				"sender": ghUser(), "head_commit": map[string]any{"id": sha40(id), "message": "Fix the flaky test",
					"timestamp": now.Format(time.RFC3339), "author": map[string]any{"name": "Octo Cat", "username": "octocat"}}}
		},
		"ping": func(id string, _ time.Time) map[string]any {
			return map[string]any{"zen": "Keep it logically awesome.", "hook_id": 1, "hook": map[string]any{"type": "Repository",
				"events": []string{"push", "pull_request"}, "active": true}, "repository": ghRepo(), "sender": ghUser()}
		},
		"pull_request": func(id string, now time.Time) map[string]any {
			return map[string]any{"action": "opened", "number": 42, "pull_request": map[string]any{"number": 42, "state": "open",
				"title": "Add retries", "user": ghUser(), "created_at": now.Format(time.RFC3339),
				"head": map[string]any{"ref": "feature", "sha": sha40(id)}, "base": map[string]any{"ref": "main"}},
				"repository": ghRepo(), "sender": ghUser()}
		},
		"issues": func(id string, now time.Time) map[string]any {
			return map[string]any{"action": "opened", "issue": map[string]any{"number": 7, "title": "It crashes", "state": "open",
				"user": ghUser(), "created_at": now.Format(time.RFC3339)}, "repository": ghRepo(), "sender": ghUser()}
		},
	},
	"shopify": {
		"orders/create": func(id string, now time.Time) map[string]any {
			return map[string]any{"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
				"email": "jon@example.com", "created_at": now.Format(time.RFC3339), "currency": "USD", "total_price": "403.00",
				"financial_status": "paid", "name": "#9999", "line_items": []any{map[string]any{"id": 487817672276298554,
					"title": "Aviator sunglasses", "quantity": 1, "price": "199.00", "sku": "SKU2006-001"}}}
		},
		"orders/paid": func(id string, now time.Time) map[string]any {
			return map[string]any{"id": 820982911946154508, "financial_status": "paid", "total_price": "403.00",
				"currency": "USD", "processed_at": now.Format(time.RFC3339)}
		},
		"customers/create": func(id string, now time.Time) map[string]any {
			return map[string]any{"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob",
				"last_name": "Biller", "created_at": now.Format(time.RFC3339)}
		},
	},
}

func init() {
	// Standard Webhooks and Svix senders share one envelope shape.
	sw := map[string]fixture{}
	for _, typ := range []string{"invoice.paid", "user.created"} {
		sw[typ] = func(id string, now time.Time) map[string]any {
			return map[string]any{"type": typ, "timestamp": now.Format(time.RFC3339),
				"data": map[string]any{"id": "obj_" + id, "status": "ok"}}
		}
	}
	fixtures["standardwebhooks"], fixtures["svix"] = sw, sw
}

func seedBody(id, typ string, data map[string]any) map[string]any {
	return map[string]any{"id": id, "type": typ, "data": data}
}

func stripePI(status string) func(string) map[string]any {
	return func(s string) map[string]any {
		return map[string]any{"id": "pi_" + s, "object": "payment_intent", "amount": 2000, "amount_received": 2000,
			"currency": "usd", "customer": "cus_" + s, "status": status, "livemode": false}
	}
}

func stripeEvent(typ string, object func(suffix string) map[string]any) fixture {
	return func(id string, now time.Time) map[string]any {
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

// cmdTrigger sends a realistic, correctly signed fixture of EVENT_TYPE for
// SOURCE, like `stripe trigger`.
func cmdTrigger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (env HOOKQ_CONFIG)")
	url := fs.String("url", "", "ingest base URL (default from ingest.listen)")
	id := fs.String("id", "", "event id (default random)")
	list := fs.Bool("list", false, "list the events trigger can send for each configured source")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hookqctl trigger [flags] SOURCE EVENT_TYPE\n       hookqctl trigger -list")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	s, err := newSender(*cfgPath, *url, getenv)
	if err != nil {
		return err
	}
	if *list {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tTYPE\tEVENTS")
		for _, src := range s.cfg.Sources {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", src.Name, src.Verifier.Type, dash(strings.Join(fixtureNames(src.Verifier.Type), " ")))
		}
		return tw.Flush()
	}
	if len(pos) != 2 {
		fs.Usage()
		return errors.New("trigger: want SOURCE EVENT_TYPE (hookqctl trigger -list shows them)")
	}
	source, typ := pos[0], pos[1]
	var kind string
	for _, src := range s.cfg.Sources {
		if src.Name == source {
			kind = src.Verifier.Type
		}
	}
	if kind == "" {
		return fmt.Errorf("trigger: source %q is not in the config", source)
	}
	build, ok := fixtures[kind][typ]
	if !ok {
		names := fixtureNames(kind)
		if len(names) == 0 {
			return fmt.Errorf("trigger: no fixtures for %s sources; send your own body with hookqctl send -source %s -type %s -data @FILE", kind, source, typ)
		}
		return fmt.Errorf("trigger: no %s fixture %q; there are: %s (or send your own with hookqctl send -data @FILE)", kind, typ, strings.Join(names, ", "))
	}
	if *id == "" {
		*id = newID("evt_")
		if kind == "github" || kind == "shopify" {
			*id = newUUIDish()
		}
	}
	body, err := json.Marshal(build(*id, time.Now().UTC()))
	if err != nil {
		return err
	}
	status, resp, err := s.send(ctx, delivery{source: source, id: *id, typ: typ, body: body})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d %s\n", status, resp)
	if status >= 300 {
		return fmt.Errorf("ingest answered %d", status)
	}
	warnIgnored(stderr, s.cfg, source, resp)
	return nil
}

func fixtureNames(kind string) []string {
	var out []string
	for name := range fixtures[kind] {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
