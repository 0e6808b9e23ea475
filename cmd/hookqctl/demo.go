package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
)

// seedEvents are hookq's built-in examples: a payment of 5000 PKR, an order
// over the 1000 PKR high-value line, an enrollment and a registration.
func seedEvents(run string) []delivery {
	ev := func(typ, id string, data map[string]any) delivery {
		body, _ := json.Marshal(map[string]any{"id": id, "type": typ, "data": data})
		return delivery{source: "seed", id: id, typ: typ, body: body}
	}
	return []delivery{
		ev("payment_success", "evt_pay_"+run, map[string]any{"payment_id": "pay_" + run, "amount": 5000, "currency": "PKR", "user_id": "usr_42"}),
		ev("order_created", "evt_ord_"+run, map[string]any{"order_id": "ord_" + run, "total": 1500, "currency": "PKR"}),
		ev("enrollment_created", "evt_enr_"+run, map[string]any{"enrollment_id": "enr_" + run, "course": "Go 101", "user_id": "usr_42"}),
		ev("user_registered", "evt_usr_"+run, map[string]any{"user_id": "usr_" + run, "email": "new.user@example.com"}),
	}
}

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (env HOOKQ_CONFIG)")
	url := fs.String("url", "", "ingest base URL (default from ingest.listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := newSender(*cfgPath, *url, getenv)
	if err != nil {
		return err
	}
	run := newID("")[:8]
	events := seedEvents(run)
	type step struct {
		what string
		d    delivery
		want int
	}
	has := map[string]string{}
	for _, src := range s.cfg.Sources {
		has[src.Name] = src.Verifier.Type
	}
	var steps []step
	if has["seed"] != "" {
		for _, e := range events {
			steps = append(steps, step{"seed " + e.typ, e, 200})
		}
		steps = append(steps, step{"same payment again (provider retry)", events[0], 200})
		forged := events[0]
		forged.id, forged.forge = "evt_forged_"+run, true
		steps = append(steps, step{"forged payment (wrong secret)", forged, 401})
	}
	if has["stripe"] == "stripe" {
		id := "evt_" + run
		body, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": "payment_intent.succeeded",
			"data": map[string]any{"object": map[string]any{"id": "pi_" + run, "amount": 500000, "currency": "pkr"}}})
		steps = append(steps, step{"stripe payment_intent.succeeded", delivery{source: "stripe", id: id, typ: "payment_intent.succeeded", body: body}, 200})
	}
	if has["github"] == "github" {
		body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
		steps = append(steps, step{"github ping", delivery{source: "github", id: newUUIDish(), typ: "ping", body: body}, 200})
	}
	if t := has["standardwebhooks"]; t == "standardwebhooks" {
		id := "msg_" + run
		body, _ := json.Marshal(map[string]any{"type": "invoice.paid", "timestamp": "2026-01-01T00:00:00Z", "data": map[string]any{"invoice": "inv_" + run}})
		steps = append(steps, step{"standard webhooks invoice.paid", delivery{source: "standardwebhooks", id: id, typ: "invoice.paid", body: body}, 200})
	}
	if len(steps) == 0 {
		return errors.New("demo: the config has none of the demo's sources (seed, stripe, github, standardwebhooks); try hookqctl trigger -list, or send -source S")
	}
	failed := 0
	for _, st := range steps {
		status, resp, err := s.send(ctx, st.d)
		mark := "ok  "
		if err != nil || status != st.want {
			mark, failed = "FAIL", failed+1
		}
		if err != nil {
			resp = err.Error()
		}
		fmt.Fprintf(stdout, "%s %-40s -> %d %s\n", mark, st.what, status, resp)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d demo steps did not get the expected answer (is `make run` up?)", failed, len(steps))
	}
	fmt.Fprintln(stdout, "\nWatch the worker's log: each seed handler runs once; the duplicate and the forgery never reach it.")
	return nil
}

func newUUIDish() string {
	h := newID("")
	h += newID("")
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
