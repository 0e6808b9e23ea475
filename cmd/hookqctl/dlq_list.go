package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
)

// dlqListCmd lists dead-lettered tasks, most recently failed first.
func dlqListCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	ff := addFilterFlags(fs)
	limit := fs.Int("limit", 50, "show at most N tasks, most recently failed first (0: all)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	return func(ctx context.Context, pos []string) error {
		f, err := ff.filter(time.Now(), pos)
		if err != nil {
			return err
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		tasks, err := c.Archived(ctx, f)
		if err != nil {
			return err
		}
		total, byQueue := len(tasks), perQueue(tasks)
		if *limit > 0 && len(tasks) > *limit {
			tasks = tasks[:*limit]
		}
		if *asJSON {
			if tasks == nil {
				tasks = []*ctl.Task{}
			}
			return writeJSON(e.stdout, tasks)
		}
		if total == 0 {
			fmt.Fprintln(e.stdout, "no dead-lettered tasks match in", conn.where)
			return nil
		}
		tw := newTable(e.stdout)
		fmt.Fprintln(tw, "TASK ID\tSOURCE\tROUTE\tEVENT ID\tEVENT TYPE\tLAST FAILED\tRETRIED\tLAST ERROR")
		for _, t := range tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", t.ID, t.Source, t.Route, t.EventID, dash(t.EventType),
				fmtTime(t.LastFailedAt), t.Retried, t.MaxRetry, dash(oneLine(t.LastErr, 60)))
		}
		tw.Flush()
		if len(tasks) < total {
			fmt.Fprintf(e.stdout, "(%d of %d shown; -limit 0 shows all)\n", len(tasks), total)
		} else {
			fmt.Fprintf(e.stdout, "(%d %s)\n", total, plural(total, "task"))
		}
		if len(byQueue) > 1 || (len(byQueue) == 1 && byQueue[0].name != queue.Queue) {
			fmt.Fprint(e.stdout, "by shard:")
			for _, q := range byQueue {
				fmt.Fprintf(e.stdout, " %s %d", q.name, q.n)
			}
			fmt.Fprintln(e.stdout)
		}
		return nil
	}
}

type queueCount struct {
	name string
	n    int
}

// perQueue counts tasks by the Asynq queue (shard) holding them, by name.
func perQueue(tasks []*ctl.Task) []queueCount {
	n := map[string]int{}
	for _, t := range tasks {
		if t.Info != nil {
			n[t.Info.Queue]++
		}
	}
	out := make([]queueCount, 0, len(n))
	for q, c := range n {
		out = append(out, queueCount{q, c})
	}
	slices.SortFunc(out, func(a, b queueCount) int { return strings.Compare(a.name, b.name) })
	return out
}
