package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/hookq/hookq/internal/handlers"
	"github.com/hookq/hookq/internal/sender"
)

// demoCmd sends the seed's examples (internal/handlers), a provider retry of
// the payment and a forgery, plus one event for each demo provider the
// config has, and checks each answer.
func demoCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	in := addIngestFlags(fs, e)
	return func(ctx context.Context, _ []string) error {
		s, cfg, err := in.sender(e, nil)
		if err != nil {
			return err
		}
		run := newID("")[:8]
		type step struct {
			what string
			d    sender.Delivery
			want int
		}
		has := map[string]string{}
		for _, src := range cfg.Sources {
			has[src.Name] = src.Verifier.Type
		}
		var steps []step
		if has["seed"] != "" {
			var payment sender.Delivery
			for _, ex := range handlers.Examples(run) {
				d := sender.Delivery{Source: "seed", ID: ex.ID, Type: ex.Type, Body: ex.Body()}
				if ex.Type == "payment_success" {
					payment = d
				}
				steps = append(steps, step{"seed " + ex.Type, d, 200})
			}
			steps = append(steps, step{"same payment again (provider retry)", payment, 200})
			forged := payment
			forged.ID, forged.Forge = "evt_forged_"+run, true
			steps = append(steps, step{"forged payment (wrong secret)", forged, 401})
		}
		if has["stripe"] == "stripe" {
			id := "evt_" + run
			body, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": "payment_intent.succeeded",
				"data": map[string]any{"object": map[string]any{"id": "pi_" + run, "amount": 500000, "currency": "pkr"}}})
			steps = append(steps, step{"stripe payment_intent.succeeded", sender.Delivery{Source: "stripe", ID: id, Type: "payment_intent.succeeded", Body: body}, 200})
		}
		if has["github"] == "github" {
			body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
			steps = append(steps, step{"github ping", sender.Delivery{Source: "github", ID: newUUIDish(), Type: "ping", Body: body}, 200})
		}
		if has["standardwebhooks"] == "standardwebhooks" {
			id := "msg_" + run
			body, _ := json.Marshal(map[string]any{"type": "invoice.paid", "timestamp": "2026-01-01T00:00:00Z", "data": map[string]any{"invoice": "inv_" + run}})
			steps = append(steps, step{"standard webhooks invoice.paid", sender.Delivery{Source: "standardwebhooks", ID: id, Type: "invoice.paid", Body: body}, 200})
		}
		if len(steps) == 0 {
			return errors.New("demo: the config has none of the demo's sources (seed, stripe, github, standardwebhooks); try hookqctl trigger -list, or send -source S")
		}
		failed := 0
		for _, st := range steps {
			status, resp, err := s.Send(ctx, st.d)
			mark := "ok  "
			if err != nil || status != st.want {
				mark, failed = "FAIL", failed+1
			}
			if err != nil {
				resp = err.Error()
			}
			fmt.Fprintf(e.stdout, "%s %-40s -> %d %s\n", mark, st.what, status, resp)
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d demo steps did not get the expected answer (is `make run` up?)", failed, len(steps))
		}
		fmt.Fprintln(e.stdout, "\nWatch the worker's log: each seed handler runs once; the duplicate and the forgery never reach it.")
		return nil
	}
}
