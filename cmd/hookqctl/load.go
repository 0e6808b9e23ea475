package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/hookq/hookq/internal/loadgen"
	"github.com/hookq/hookq/internal/sender"
)

// loadCmd sends unique, correctly signed events to one source (through
// internal/loadgen) and prints throughput, latency percentiles and the
// answers by status. It targets the config's ingest, normally on loopback.
func loadCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	in := addIngestFlags(fs, e)
	source := fs.String("source", "seed", "configured source to send to")
	typ := fs.String("type", "payment_success", "event type")
	rate := fs.Int("rate", 0, "requests per second (0 = as fast as -concurrency allows)")
	dur := fs.Duration("duration", 10*time.Second, "how long to send (at most 10m)")
	conc := fs.Int("concurrency", 32, "concurrent senders")
	size := fs.Int("size", 1024, "approximate body size in bytes")
	return func(ctx context.Context, _ []string) error {
		opts := loadgen.Options{Type: *typ, Rate: *rate, Duration: *dur, Concurrency: *conc, Size: *size, Run: newID("")[:8]}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: max(1, min(*conc, 1024))}}
		s, _, err := in.sender(e, client)
		if err != nil {
			return err
		}
		// Fail before sending when the source is unknown, unsigned or
		// unsignable, rather than count every request as an error.
		if _, err := s.Request(ctx, sender.Delivery{Source: *source, ID: "probe", Type: *typ, Body: []byte("{}")}); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		res, err := loadgen.Run(ctx, func(ctx context.Context, id, typ string, body []byte) (int, error) {
			status, _, err := s.Send(ctx, sender.Delivery{Source: *source, ID: id, Type: typ, Body: body})
			return status, err
		}, opts)
		if err != nil {
			return err
		}
		res.WriteText(e.stdout)
		return nil
	}
}
