package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/hookq/hookq/internal/ctl"
)

// dlqExportedCmd lists the dead-letter stream, newest first.
func dlqExportedCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	limit := fs.Int64("limit", 50, "show at most N entries, newest first (0: all)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	return func(ctx context.Context, _ []string) error {
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		entries, err := c.Exported(ctx, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			if entries == nil {
				entries = []ctl.Exported{}
			}
			return writeJSON(e.stdout, entries)
		}
		if len(entries) == 0 {
			fmt.Fprintln(e.stdout, "the dead-letter stream is empty in", conn.where)
			return nil
		}
		tw := newTable(e.stdout)
		fmt.Fprintln(tw, "STREAM ID\tTASK ID\tEVENT TYPE\tDEAD-LETTERED AT\tERROR")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.StreamID, e.TaskID, dash(e.EventType), e.DeadLetteredAt, dash(oneLine(e.Error, 60)))
		}
		tw.Flush()
		fmt.Fprintln(e.stdout, "restore: hookqctl dlq restore -- STREAM_ID...")
		return nil
	}
}
