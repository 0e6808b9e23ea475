package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/sender"
)

// sendCmd sends one correctly signed event for a configured source, like a
// provider's "send test webhook" button.
func sendCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	in := addIngestFlags(fs, e)
	source := fs.String("source", "", "configured source name (required)")
	typ := fs.String("type", "test.event", "event type")
	id := fs.String("id", "", "event id (default random)")
	data := fs.String("data", "", "body JSON (default {\"id\":…,\"type\":…,\"data\":{}}); @FILE reads a file")
	forge := fs.Bool("forge", false, "sign with a wrong secret (to see a 401)")
	return func(ctx context.Context, _ []string) error {
		if *source == "" {
			return errors.New("send: -source is required")
		}
		if *id == "" {
			*id = newID("evt_")
		}
		body := []byte(*data)
		if strings.HasPrefix(*data, "@") {
			var err error
			if body, err = os.ReadFile((*data)[1:]); err != nil {
				return err
			}
		}
		if len(body) == 0 {
			body, _ = json.Marshal(map[string]any{"id": *id, "type": *typ, "data": map[string]any{}})
		}
		s, cfg, err := in.sender(e, nil)
		if err != nil {
			return err
		}
		return sendAndReport(ctx, e, s, cfg, sender.Delivery{Source: *source, ID: *id, Type: *typ, Body: body, Forge: *forge})
	}
}

// sendAndReport sends d, prints ingest's answer, fails on a non-2xx one and
// explains an "ignored" one.
func sendAndReport(ctx context.Context, e *procEnv, s *sender.Sender, cfg *config.Lenient, d sender.Delivery) error {
	status, resp, err := s.Send(ctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d %s\n", status, resp)
	if status >= 300 {
		return fmt.Errorf("ingest answered %d", status)
	}
	warnIgnored(e.stderr, cfg, d.Source, resp)
	return nil
}

// warnIgnored explains an "ignored" answer: verified, but no route of the
// source matches the event's type, so nothing was enqueued.
func warnIgnored(stderr io.Writer, cfg *config.Lenient, source, resp string) {
	var a struct {
		Status    string `json:"status"`
		EventType string `json:"event_type"`
	}
	if json.Unmarshal([]byte(resp), &a) != nil || a.Status != "ignored" {
		return
	}
	var routes []string
	for _, r := range cfg.Routes {
		if r.Source == source {
			ev := "*"
			if len(r.Events) > 0 {
				ev = strings.Join(r.Events, " ")
			}
			routes = append(routes, fmt.Sprintf("%s (%s)", r.Name, ev))
		}
	}
	if len(routes) == 0 {
		routes = []string{"none"}
	}
	fmt.Fprintf(stderr, "warning: ignored: no route of source %s matches event type %q, so nothing was enqueued.\n  routes of %s: %s\n",
		source, a.EventType, source, strings.Join(routes, ", "))
}

// newID returns prefix and 16 random hex digits.
func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newUUIDish returns a random id shaped like a UUID, as GitHub's delivery
// ids are.
func newUUIDish() string {
	h := newID("") + newID("")
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
