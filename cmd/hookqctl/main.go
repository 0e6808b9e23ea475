// Command hookqctl is hookq's operator tool. Its commands (commands.go
// holds the table that also writes the usage text):
//
//	send          send one correctly signed event for a configured source
//	trigger       send a realistic signed fixture of a provider's event type
//	demo          send the seed's example events, a duplicate and a forged one
//	load          send signed events at a rate for a bounded time
//	sink          print what the forward handler delivers
//	stats         queue sizes by state, processed and failed today, latency, memory
//	inspect       where an event is: its dedupe mark and each route's task
//	tail          follow live traffic
//	dlq list      list dead-lettered tasks
//	dlq show      one task, or an event's dead-lettered tasks
//	dlq replay    move dead-lettered tasks back to pending
//	dlq delete    delete dead-lettered tasks
//	dlq exported  list the dead-letter stream
//	dlq restore   enqueue dead-letter stream entries again
//	ready         ask ingest's and the worker's /readyz
//	endpoints     where the config's stack listens
//	reconcile     enqueue what a provider's event history holds and hookq missed
//	providers     the verifier types (presets) hookq knows
//	ping          check that a Redis answers
//
// Flags mean one thing in every command: -config is the config file, -redis
// the Redis URL and -ingest ingest's base URL. Flags may follow positional
// arguments; "--" ends them.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"

	"github.com/hookq/hookq/internal/app"
)

func main() {
	wd, _ := os.Getwd()
	app.Main("hookqctl", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], devGetenv(os.Getenv, wd), os.Stdout, os.Stderr)
	})
}

// procEnv is what every command gets from the process: its environment and
// where to print.
type procEnv struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, &procEnv{getenv: getenv, stdout: stdout, stderr: stderr})
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h printed the command's usage
	}
	return err
}
