// Command hookqctl is hookq's operator tool: send a correctly signed test
// event for a configured source, run the seed demo, or run a sink that
// prints what the forward handler delivers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: hookqctl COMMAND [flags] [--] [ID...]

commands:
  send        send one correctly signed event for a configured source
  trigger     send a realistic signed fixture: trigger SOURCE EVENT_TYPE (-list shows them)
  demo        send the seed's example events, a duplicate and a forged one
  load        send signed events at a rate for a bounded time; print throughput and latency
  sink        run an HTTP server that prints what it receives (a forward target)
  stats       queue sizes by state, processed/failed today, latency, memory
  inspect     where an event id is: its dedupe mark and each route's task
  tail        follow live traffic: accepted, retrying, delivered (status, latency, attempt),
              dead-lettered, and ingest's duplicates and refusals (-source, -route)
  dlq list    list dead-lettered tasks (filters: -source -type -route -since -until -error)
  dlq show    one task, its last error and its body
  dlq replay  move dead-lettered tasks back to pending
  dlq delete  delete dead-lettered tasks
  dlq exported  list the dead-letter stream (kept after Asynq trims its archive)
  dlq restore   enqueue dead-letter stream entries again
  ready       ask ingest's and the worker's /readyz (addresses from the config)
  endpoints   where the config's stack listens: webhook URLs and their routes, dashboard, metrics
  reconcile   list a provider's events (stripe, github) and enqueue what hookq missed
  providers   the verifier types (presets) hookq knows: signature, tolerance, defaults
  ping        check that the Redis at -url (or REDIS_URL) answers

The config is -config FILE, else HOOKQ_CONFIG; the Redis is -redis URL, else REDIS_URL, else
the config's. In a checkout where ` + "`make run`" + ` runs, hookqctl reads the stack's REDIS_URL,
HOOKQ_CONFIG and demo secrets from .data/ (or HOOKQ_DATA): nothing to export. Only commands
that sign (send, demo, load) need a source's secrets. "--" ends flags: ids come after it.

Run 'hookqctl COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	wd, _ := os.Getwd()
	if err := run(ctx, os.Args[1:], devGetenv(os.Getenv, wd), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hookqctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h printed the command's flags
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "send":
		return cmdSend(ctx, args[1:], getenv, stdout, stderr)
	case "trigger":
		return cmdTrigger(ctx, args[1:], getenv, stdout, stderr)
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
	case "reconcile":
		return cmdReconcile(ctx, args[1:], getenv, stdout, stderr)
	case "tail":
		return cmdTail(ctx, args[1:], getenv, stdout, stderr)
	case "ready":
		return cmdReady(ctx, args[1:], getenv, stdout, stderr)
	case "endpoints":
		return cmdEndpoints(ctx, args[1:], getenv, stdout, stderr)
	case "providers":
		return cmdProviders(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
