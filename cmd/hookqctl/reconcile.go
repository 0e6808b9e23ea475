package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/reconcile"
)

// reconcileCmd lists a provider's event history and enqueues, through
// ingest's dedupe, what hookq never acknowledged.
func reconcileCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e) // the config's reconcile blocks hold the API keys
	source := fs.String("source", "", "the source to reconcile (a stripe or github source with a reconcile block)")
	since := fs.String("since", "", "look back this far (90m, 24h, 2d) or to this RFC 3339 time; default: from the watermark")
	dryRun := fs.Bool("dry-run", false, "list what is missing; enqueue and redeliver nothing, leave the watermark")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	return func(ctx context.Context, _ []string) error {
		if conn.config == "" {
			return errors.New("reconcile: pass -config FILE or set HOOKQ_CONFIG (the API keys live there)")
		}
		if *source == "" {
			return errors.New("reconcile: -source is required")
		}
		var lookback time.Duration
		if *since != "" {
			now := time.Now()
			t, err := ctl.ParseTime(*since, now)
			if err != nil {
				return fmt.Errorf("-since: %w", err)
			}
			if lookback = now.Sub(t); lookback <= 0 {
				return fmt.Errorf("-since %s is not in the past", *since)
			}
		}
		cfg, err := config.Load(conn.config, e.getenv)
		if err != nil {
			return err
		}
		url := cfg.Redis.URL
		if conn.redis != "" {
			url = conn.redis
		}
		rdb, _, err := app.Redis(url)
		if err != nil {
			return err
		}
		defer rdb.Close()
		log, err := obs.NewLogger(e.stderr, "warn")
		if err != nil {
			return err
		}
		periodic, err := app.Reconcilers(cfg, rdb, log)
		if err != nil {
			return err
		}
		var rec *reconcile.Reconciler
		var names []string
		for _, p := range periodic {
			names = append(names, p.R.Source())
			if p.R.Source() == *source {
				rec = p.R
			}
		}
		if rec == nil {
			return fmt.Errorf("reconcile: source %q has no reconcile block (sources with one: %s)", *source, strings.Join(names, ", "))
		}
		rep, err := rec.Run(ctx, reconcile.Options{Since: lookback, DryRun: *dryRun})
		if rep != nil {
			if *asJSON {
				writeJSON(e.stdout, rep)
			} else {
				printReport(e.stdout, *source, rep, *dryRun)
			}
		}
		return err
	}
}

func printReport(w io.Writer, source string, rep *reconcile.Report, dryRun bool) {
	mode, verb := "", ""
	if dryRun {
		mode, verb = " (dry run: nothing enqueued)", "would be "
	}
	fmt.Fprintf(w, "reconcile %s: events created %s .. %s%s\n", source, utc(rep.From), utc(rep.Until), mode)
	if rep.Clamped {
		fmt.Fprintln(w, "  the watermark was older than the dedupe window: older events were not reconciled")
	}
	fmt.Fprintf(w, "  listed %d: already in hookq %d, no route %d, malformed %d\n", rep.Listed, rep.Present, rep.Ignored, rep.Malformed)
	fmt.Fprintf(w, "  missed: %senqueued %d, %sredelivered by the provider %d\n", verb, rep.Enqueued, verb, rep.Redelivered)
	for _, id := range rep.Missed {
		fmt.Fprintf(w, "    %s\n", id)
	}
	if n := rep.Enqueued + rep.Redelivered; n > len(rep.Missed) {
		fmt.Fprintf(w, "    … and %d more\n", n-len(rep.Missed))
	}
	if rep.Watermark.IsZero() {
		fmt.Fprintln(w, "  watermark: none")
	} else {
		fmt.Fprintf(w, "  watermark: %s\n", utc(rep.Watermark))
	}
}
