package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
)

// statsCmd prints Asynq's numbers for every queue and, with -marks, counts
// the dedupe marks (a SCAN of the keyspace, so opt-in).
func statsCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	marks := fs.Bool("marks", false, "also count dedupe marks per source (SCANs the keyspace, at most 1M keys)")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, _ []string) error {
		c, closeFn, err := conn.open(e)
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
			return writeJSON(e.stdout, out)
		}
		if len(qs) == 0 {
			fmt.Fprintf(e.stdout, "no queues yet (nothing was ever enqueued to %q in %s)\n", queue.Queue, conn.where)
		} else {
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
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
			fmt.Fprintf(e.stdout, "dedupe marks: %d%s\n", m.Total, more)
			srcs := make([]string, 0, len(m.BySource))
			for s := range m.BySource {
				srcs = append(srcs, s)
			}
			sort.Strings(srcs)
			for _, s := range srcs {
				fmt.Fprintf(e.stdout, "  %-20s %d\n", s, m.BySource[s])
			}
		}
		return nil
	}
}
