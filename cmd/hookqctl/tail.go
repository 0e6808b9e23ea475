package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/ctl"
)

// tailCmd follows live traffic like `stripe listen`: every task of the
// webhooks queue as it is accepted, retried, delivered (with history kept:
// the destination's status, latency and attempt), finished or
// dead-lettered, plus ingest's duplicates, ignored and refused requests from
// its metrics. It only reads, polling every -every.
func tailCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	source := fs.String("source", "", "only this source")
	route := fs.String("route", "", "only routes matching this glob")
	every := fs.Duration("every", 500*time.Millisecond, "poll interval")
	limit := fs.Int("limit", 200, "newest tasks read per state and poll")
	forDur := fs.Duration("for", 0, "stop after this long (0: until Ctrl-C)")
	metricsURL := fs.String("metrics", "", "ingest's /metrics URL for duplicates and refusals (default: from the config's ingest.admin_listen; \"off\" to skip)")
	return func(ctx context.Context, _ []string) error {
		if *every < 50*time.Millisecond || *limit < 1 {
			return fmt.Errorf("tail: want -every >= 50ms and -limit >= 1")
		}
		if _, err := path.Match(*route, ""); err != nil {
			return fmt.Errorf("tail: -route: bad glob %q", *route)
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		if *metricsURL == "" && conn.config != "" {
			if cfg, err := loadConfig(conn.config, e); err == nil {
				*metricsURL = "http://" + dialAddr(cfg.Ingest.AdminListen) + "/metrics"
			}
		}
		if *metricsURL == "off" {
			*metricsURL = ""
		}
		if *forDur > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *forDur)
			defer cancel()
		}
		keep := func(t *ctl.Task) bool {
			if *source != "" && t.Source != *source {
				return false
			}
			ok, _ := path.Match(*route, t.Route)
			return *route == "" || ok
		}
		fmt.Fprintf(e.stdout, "tailing %s", conn.where)
		if *metricsURL != "" {
			fmt.Fprintf(e.stdout, " and %s", *metricsURL)
		}
		fmt.Fprintln(e.stdout, "; Ctrl-C stops")

		client := &http.Client{Timeout: 2 * time.Second}
		seen := map[string]string{} // task id → state last printed
		var counts map[string]float64
		first := true
		for {
			tasks, err := c.Recent(ctx, *limit)
			if err != nil && ctx.Err() == nil {
				fmt.Fprintln(e.stderr, "hookqctl: tail:", err)
			}
			now := time.Now()
			present := map[string]bool{}
			for _, t := range tasks {
				present[t.ID] = true
				if !keep(t) || seen[t.ID] == t.State {
					continue
				}
				prev := seen[t.ID]
				seen[t.ID] = t.State
				if first {
					continue // what was there before tail started is history
				}
				printTask(e.stdout, now, t, prev)
			}
			if err == nil {
				for id, state := range seen {
					if !present[id] {
						delete(seen, id)
						if state != "completed" && state != "archived" {
							fmt.Fprintf(e.stdout, "%s  %-13s %s  (not kept: history.retention is off, or the task was deleted)\n", now.Format("15:04:05"), "done", id)
						}
					}
				}
			}
			if *metricsURL != "" {
				if cur, err := ingestCounts(ctx, client, *metricsURL); err == nil {
					if counts != nil {
						printCounts(e.stdout, now, counts, cur, *source)
					}
					counts = cur
				}
			}
			first = false
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(*every):
			}
		}
	}
}

func printTask(w io.Writer, now time.Time, t *ctl.Task, prev string) {
	what, detail := t.State, t.EventType
	switch t.State {
	case "pending", "active", "scheduled":
		if prev != "" {
			return // a retry coming due, or being worked on: nothing new
		}
		what = "accepted"
	}
	if prev == "" && what != "accepted" {
		// Accepted and already further between two polls.
		at := now
		if !t.ReceivedAt.IsZero() {
			at = t.ReceivedAt.Local()
		}
		fmt.Fprintf(w, "%s  %-13s %s  %s\n", at.Format("15:04:05"), "accepted", t.ID, t.EventType)
	}
	switch t.State {
	case "retry":
		what, detail = "retrying", fmt.Sprintf("attempt %d failed: %s", t.Retried, oneLine(t.LastErr, 80))
	case "completed":
		what = "delivered"
		if t.Delivery != nil {
			detail = deliveryText(t.Delivery)
		}
	case "archived":
		what, detail = "dead-lettered", oneLine(t.LastErr, 80)
	}
	fmt.Fprintf(w, "%s  %-13s %s  %s\n", now.Format("15:04:05"), what, t.ID, detail)
}

var requestsLine = regexp.MustCompile(`^hookq_ingest_requests_total\{([^}]*)\} (\S+)`)
var labelPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

// ingestCounts reads hookq_ingest_requests_total by "source status reason".
func ingestCounts(ctx context.Context, client *http.Client, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := requestsLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		l := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[1], -1) {
			l[p[1]] = p[2]
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			out[l["source"]+" "+l["status"]+" "+l["reason"]] = v
		}
	}
	return out, sc.Err()
}

// printCounts prints what ingest answered since the last poll, except
// accepted events (their tasks are printed).
func printCounts(w io.Writer, now time.Time, prev, cur map[string]float64, source string) {
	keys := make([]string, 0, len(cur))
	for k := range cur {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := strings.Fields(k)
		if len(f) != 3 || f[2] == "accepted" || (source != "" && f[0] != source) {
			continue
		}
		n := cur[k] - prev[k]
		if n <= 0 {
			continue
		}
		what := "refused"
		switch {
		case f[2] == "duplicate" || f[2] == "ignored":
			what = f[2]
		case f[1] == "503":
			what = "unavailable"
		}
		fmt.Fprintf(w, "%s  %-13s %s  %s %s ×%d\n", now.Format("15:04:05"), what, f[0], f[1], f[2], int(n))
	}
}
