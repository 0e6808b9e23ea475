package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
)

// statsCmd prints Asynq's numbers for every queue, one row per shard and
// their total, and, with -marks, counts the dedupe marks (a SCAN of the
// keyspace, so opt-in).
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
		st := shardStats(qs, conn.shards)
		var m *ctl.Marks
		if *marks {
			got, err := c.CountMarks(ctx)
			if err != nil {
				return err
			}
			m = &got
		}
		if *asJSON {
			return writeStatsJSON(e.stdout, st, m)
		}
		if len(qs) == 0 {
			fmt.Fprintf(e.stdout, "no queues yet (nothing was ever enqueued to %s in %s)\n", quoteList(st.shards), conn.where)
		} else {
			st.print(e.stdout)
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

// queueStats are the queues of one Redis as hookq sees them.
type queueStats struct {
	shards []string // the queues workers serve: queue.shards, shard 0 first
	// hookq holds a row per shard (empty for a shard nothing was enqueued
	// to yet), then hookq queues of another shard count, which no worker
	// with this config serves.
	hookq    []*asynq.QueueInfo
	unserved []string
	total    asynq.QueueInfo // the sum of hookq's rows; Latency the largest
	others   []*asynq.QueueInfo
}

// shardStats sorts Asynq's queues into hookq's shards, other hookq queues
// and queues hookq does not use. configured is the config's queue.shards;
// nil: what the registered queues show (queue.DetectShards).
func shardStats(qs []*asynq.QueueInfo, configured *queue.Shards) queueStats {
	byName := map[string]*asynq.QueueInfo{}
	var names []string
	for _, q := range qs {
		byName[q.Queue] = q
		names = append(names, q.Queue)
	}
	shards := queue.DetectShards(names)
	if configured != nil {
		shards = *configured
	}
	st := queueStats{shards: shards.Names(), total: asynq.QueueInfo{Queue: "total"}}
	for _, n := range st.shards {
		q := byName[n]
		if q == nil {
			q = &asynq.QueueInfo{Queue: n}
		}
		st.hookq = append(st.hookq, q)
	}
	for _, q := range qs {
		switch {
		case slices.Contains(st.shards, q.Queue):
		case queue.IsQueue(q.Queue):
			st.hookq = append(st.hookq, q)
			st.unserved = append(st.unserved, q.Queue)
		default:
			st.others = append(st.others, q)
		}
	}
	t := &st.total
	for _, q := range st.hookq {
		t.Pending += q.Pending
		t.Active += q.Active
		t.Scheduled += q.Scheduled
		t.Retry += q.Retry
		t.Archived += q.Archived
		t.Completed += q.Completed
		t.Size += q.Size
		t.Processed += q.Processed
		t.Failed += q.Failed
		t.MemoryUsage += q.MemoryUsage
		t.Latency = max(t.Latency, q.Latency)
		t.Paused = t.Paused || q.Paused
	}
	return st
}

func (st queueStats) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "QUEUE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tARCHIVED\tCOMPLETED\tSIZE\tPROCESSED TODAY\tFAILED TODAY\tLATENCY\tMEMORY\tPAUSED\t")
	row := func(q *asynq.QueueInfo) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", q.Queue, q.Pending, q.Active, q.Scheduled,
			q.Retry, q.Archived, q.Completed, q.Size, q.Processed, q.Failed, q.Latency.Round(time.Millisecond),
			humanBytes(q.MemoryUsage), yesNo(q.Paused))
	}
	for _, q := range st.hookq {
		row(q)
	}
	if len(st.hookq) > 1 {
		row(&st.total)
	}
	for _, q := range st.others {
		row(q)
	}
	tw.Flush()
	if len(st.hookq) > 1 {
		fmt.Fprintf(w, "total: hookq's %d queues (latency: the largest)\n", len(st.hookq))
	}
	if len(st.unserved) > 0 {
		fmt.Fprintf(w, "not served with queue.shards: %d: %s (left from another shard count; run a worker with that count until they drain)\n",
			len(st.shards), quoteList(st.unserved))
	}
	if len(st.others) > 0 {
		fmt.Fprintf(w, "not hookq's and not in the total: %d other queue(s) in this Redis\n", len(st.others))
	}
}

func writeStatsJSON(w io.Writer, st queueStats, m *ctl.Marks) error {
	type queueJSON struct {
		*asynq.QueueInfo
		Latency string `json:"Latency"`
	}
	out := struct {
		Queues   []queueJSON `json:"queues"`
		Shards   []string    `json:"shards"`
		Total    queueJSON   `json:"total"`
		Unserved []string    `json:"unserved,omitempty"`
		Marks    *ctl.Marks  `json:"dedupe_marks,omitempty"`
	}{Queues: []queueJSON{}, Shards: st.shards, Total: queueJSON{&st.total, st.total.Latency.String()}, Unserved: st.unserved, Marks: m}
	for _, q := range append(slices.Clone(st.hookq), st.others...) {
		out.Queues = append(out.Queues, queueJSON{q, q.Latency.String()})
	}
	return writeJSON(w, out)
}

// quoteList joins names as "a", "b".
func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}
