package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hookq/hookq/internal/ctl"
)

func cmdDlqExported(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dlq exported", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	limit := fs.Int64("limit", 50, "show at most N entries, newest first (0: all)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, closeFn, err := conn.open(getenv, stderr)
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
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "the dead-letter stream is empty in", conn.where)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM ID\tTASK ID\tEVENT TYPE\tDEAD-LETTERED AT\tERROR")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.StreamID, e.TaskID, dash(e.EventType), e.DeadLetteredAt, dash(oneLine(e.Error, 60)))
	}
	tw.Flush()
	fmt.Fprintln(stdout, "restore: hookqctl dlq restore -- STREAM_ID...")
	return nil
}

func cmdDlqRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dlq restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("dlq restore: give one or more STREAM_IDs (see dlq exported)")
	}
	c, closeFn, err := conn.open(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	o, err := c.Restore(ctx, fs.Args(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d, not in the stream %d, failed %d\n", o.Done, o.NotFound, len(o.Failed))
	for _, f := range o.Failed {
		fmt.Fprintln(stdout, "  "+f)
	}
	if len(o.Failed) > 0 {
		return fmt.Errorf("%d entries not restored", len(o.Failed))
	}
	return nil
}
