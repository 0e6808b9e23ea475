package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/hookq/hookq/internal/ctl"
)

// dlqActCmd returns replay or delete (verb): the two act on the same
// selection, by ids or filters, and differ only in what they do with it.
func dlqActCmd(verb string) func(fs *flag.FlagSet, e *procEnv) runFunc {
	return func(fs *flag.FlagSet, e *procEnv) runFunc {
		return dlqAct(fs, e, verb)
	}
}

func dlqAct(fs *flag.FlagSet, e *procEnv, verb string) runFunc {
	conn := addConnFlags(fs, e)
	ff := addFilterFlags(fs)
	all := fs.Bool("all", false, "select every dead-lettered task (required when no filter and no id is given)")
	limit := fs.Int("limit", 0, "act on at most N tasks, most recently failed first (0: all selected)")
	dry := fs.Bool("dry-run", false, "only list what would be "+verb+"ed")
	noBar := fs.Bool("no-progress", false, "no progress bar")
	return func(ctx context.Context, pos []string) error {
		f, err := ff.filter(time.Now(), pos)
		if err != nil {
			return err
		}
		if f.Empty() && !*all {
			return fmt.Errorf("dlq %s: refusing to %s every dead-lettered task without -all; give task or event ids or a filter", verb, verb)
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		tasks, missing, err := c.Select(ctx, f)
		if err != nil {
			return err
		}
		for _, id := range missing {
			fmt.Fprintf(e.stderr, "not in the dead-letter queue: %s\n", id)
		}
		if *limit > 0 && len(tasks) > *limit {
			tasks = tasks[:*limit]
		}
		past := map[string]string{"replay": "replayed", "delete": "deleted"}[verb]
		if *dry {
			for _, t := range tasks {
				fmt.Fprintln(e.stdout, t.ID)
			}
			fmt.Fprintf(e.stdout, "dry run: %d %s would be %s\n", len(tasks), plural(len(tasks), "task"), past)
			return nil
		}
		var bar *progressbar.ProgressBar
		var progress func()
		if len(tasks) > barMin && !*noBar {
			bar = progressbar.NewOptions(len(tasks), progressbar.OptionSetWriter(e.stderr),
				progressbar.OptionSetDescription(verb), progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			progress = func() { bar.Add(1) }
		}
		do := c.Replay
		if verb == "delete" {
			do = c.Delete
		}
		o, err := do(ctx, ctl.IDs(tasks), progress)
		if bar != nil {
			bar.Finish() // clears the bar's line
		}
		fmt.Fprintf(e.stdout, "%s %d, already gone %d, failed %d (of %d selected)\n", past, o.Done, o.NotFound, len(o.Failed), len(tasks))
		for _, f := range o.Failed {
			fmt.Fprintln(e.stderr, "failed:", f)
		}
		if verb == "replay" && o.Done > 0 {
			fmt.Fprintln(e.stdout, "note: Asynq keeps a replayed task's retry count, so a task that used all its retries gets one more attempt before it is dead-lettered again")
		}
		if err != nil {
			return err
		}
		if len(o.Failed) > 0 {
			return fmt.Errorf("dlq %s: %d tasks failed", verb, len(o.Failed))
		}
		return nil
	}
}
