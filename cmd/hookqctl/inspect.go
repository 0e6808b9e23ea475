package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hookq/hookq/internal/ctl"
)

// inspectCmd shows where one event is: its dedupe marks and each route's task.
func inspectCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	source := fs.String("source", "", "the event's source (default: every configured source, or a SCAN without config)")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, pos []string) error {
		if len(pos) != 1 {
			return errors.New("inspect: want exactly one EVENT_ID (flags may follow it)")
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		w, err := c.Inspect(ctx, pos[0], *source)
		if err != nil {
			return err
		}
		if *asJSON {
			out := struct {
				*ctl.Whereabouts
				Verdict string `json:"verdict"`
			}{w, w.Verdict()}
			return writeJSON(e.stdout, out)
		}
		now := time.Now()
		fmt.Fprintf(e.stdout, "event %s\n", w.EventID)
		tw := newTable(e.stdout)
		if len(w.Marks) == 0 {
			fmt.Fprintln(tw, "  dedupe mark\tnone")
		}
		for _, m := range w.Marks {
			ttl := "no expiry"
			if m.TTL >= 0 {
				ttl = "expires in " + m.TTL.Round(time.Second).String()
			}
			fmt.Fprintf(tw, "  dedupe mark\t%s\tpresent, %s\t%s\n", m.Source, ttl, m.Key)
		}
		for _, r := range w.Routes {
			if r.Task == nil {
				fmt.Fprintf(tw, "  route %s\t%s\tno task\tfinished (kept only with history.retention), not routed, or deleted\n", r.Route, r.TaskID)
				continue
			}
			t := r.Task
			detail := fmt.Sprintf("retried %d/%d", t.Retried, t.MaxRetry)
			if t.Delivery != nil {
				detail = deliveryText(t.Delivery) + ", " + detail
			}
			if !t.CompletedAt.IsZero() {
				detail += ", completed " + fmtTimeAgo(t.CompletedAt, now)
			}
			if t.LastErr != "" {
				detail += ", last error " + oneLine(t.LastErr, 60)
			}
			if !t.LastFailedAt.IsZero() {
				detail += ", last failed " + fmtTimeAgo(t.LastFailedAt, now)
			}
			if !t.NextProcessAt.IsZero() {
				detail += ", next process at " + fmtTime(t.NextProcessAt)
			}
			fmt.Fprintf(tw, "  route %s\t%s\t%s\t%s\n", r.Route, r.TaskID, t.State, detail)
		}
		tw.Flush()
		if len(w.Routes) == 0 && len(w.Marks) > 0 {
			fmt.Fprintln(e.stdout, "  (no routes known for its source: pass -config to list them)")
		}
		if w.Truncated {
			fmt.Fprintln(e.stdout, "  (a key scan stopped at its limit: something may be missing; pass -config or -source)")
		}
		fmt.Fprintln(e.stdout, "verdict:", w.Verdict())
		if len(w.Marks) == 0 && !hasTask(w) {
			fmt.Fprintln(e.stdout, "looked in", conn.where)
		}
		var dead []string
		for _, r := range w.Routes {
			if r.Task != nil && r.Task.State == "archived" {
				dead = append(dead, r.TaskID)
			}
		}
		if len(dead) > 0 {
			fmt.Fprintln(e.stdout, "replay:", commandLine([]string{"dlq", "replay"}, dead...))
		}
		return nil
	}
}

func hasTask(w *ctl.Whereabouts) bool {
	for _, r := range w.Routes {
		if r.Task != nil {
			return true
		}
	}
	return false
}
