// Command hookqctl is hookq's operator tool: send a correctly signed test
// event for a configured source, run the seed demo, or run a sink that
// prints what the forward handler delivers.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: hookqctl COMMAND [flags]

commands:
  send   send one correctly signed event for a configured source
  demo   send the seed's example events, a duplicate and a forged one
  sink   run an HTTP server that prints what it receives (a forward target)
  load   send signed events at a rate for a bounded time; print throughput and latency
  ping   check that the Redis at -url (or REDIS_URL) answers
  dlq    dead-letter queue: list, show, replay, delete archived tasks
  stats  queue sizes by state, processed/failed today, latency, memory
  inspect where an event id is: its dedupe mark and each route's task
  providers  the verifier types (presets) hookq knows: signature, tolerance, defaults

Run 'hookqctl COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hookqctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "send":
		return cmdSend(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], getenv, stdout, stderr)
	case "load":
		return cmdLoad(ctx, args[1:], getenv, stdout, stderr)
	case "ping":
		return cmdPing(ctx, args[1:], getenv, stdout, stderr)
	case "sink":
		return cmdSink(ctx, args[1:], stdout, stderr)
	case "dlq":
		return cmdDlq(ctx, args[1:], getenv, stdout, stderr)
	case "stats":
		return cmdStats(ctx, args[1:], getenv, stdout, stderr)
	case "inspect":
		return cmdInspect(ctx, args[1:], getenv, stdout, stderr)
	case "providers":
		return cmdProviders(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
