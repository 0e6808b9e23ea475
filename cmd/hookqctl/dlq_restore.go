package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

// dlqRestoreCmd enqueues stream entries again for their routes.
func dlqRestoreCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	return func(ctx context.Context, ids []string) error {
		if len(ids) == 0 {
			return errors.New("dlq restore: give one or more STREAM_IDs (see dlq exported)")
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		o, err := c.Restore(ctx, ids, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored %d, not in the stream %d, failed %d\n", o.Done, o.NotFound, len(o.Failed))
		for _, f := range o.Failed {
			fmt.Fprintln(e.stdout, "  "+f)
		}
		if len(o.Failed) > 0 {
			return fmt.Errorf("%d entries not restored", len(o.Failed))
		}
		return nil
	}
}
