package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
)

// cmdStats prints Asynq's numbers for every queue and, with -marks, counts
// the dedupe marks (a SCAN of the keyspace, so opt-in).
func cmdStats(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	marks := fs.Bool("marks", false, "also count dedupe marks per source (SCANs the keyspace, at most 1M keys)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	c, closeFn, err := conn.open(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	qs, err := c.Stats(ctx)
	if err != nil {
		return err
	}
	var m *ctl.Marks
	if *marks {
		got, err := c.CountMarks(ctx)
		if err != nil {
			return err
		}
		m = &got
	}
	if *asJSON {
		type queueJSON struct {
			*asynq.QueueInfo
			Latency string `json:"Latency"`
		}
		out := struct {
			Queues []queueJSON `json:"queues"`
			Marks  *ctl.Marks  `json:"dedupe_marks,omitempty"`
		}{Queues: []queueJSON{}, Marks: m}
		for _, q := range qs {
			out.Queues = append(out.Queues, queueJSON{q, q.Latency.String()})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(qs) == 0 {
		fmt.Fprintf(stdout, "no queues yet (nothing was ever enqueued to %q in %s)\n", queue.Queue, conn.where)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "QUEUE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tARCHIVED\tCOMPLETED\tSIZE\tPROCESSED TODAY\tFAILED TODAY\tLATENCY\tMEMORY\tPAUSED\t")
		for _, q := range qs {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", q.Queue, q.Pending, q.Active, q.Scheduled,
				q.Retry, q.Archived, q.Completed, q.Size, q.Processed, q.Failed, q.Latency.Round(time.Millisecond),
				humanBytes(q.MemoryUsage), yesNo(q.Paused))
		}
		tw.Flush()
	}
	if m != nil {
		more := ""
		if m.Truncated {
			more = " (at least: the scan stopped at its key limit)"
		}
		fmt.Fprintf(stdout, "dedupe marks: %d%s\n", m.Total, more)
		srcs := make([]string, 0, len(m.BySource))
		for s := range m.BySource {
			srcs = append(srcs, s)
		}
		sort.Strings(srcs)
		for _, s := range srcs {
			fmt.Fprintf(stdout, "  %-20s %d\n", s, m.BySource[s])
		}
	}
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
