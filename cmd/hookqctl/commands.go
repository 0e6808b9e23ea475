package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"slices"
	"strings"
)

// command is one row of hookqctl's command table.
type command struct {
	name    string   // the words after hookqctl: "stats", "dlq list"
	aliases []string // other spellings of the last word: "ls"
	args    string   // positional arguments for the usage line; "" means none
	summary string   // its line in the usage text
	// flags declares the command's flags on fs and returns its run func,
	// which reads them once they are parsed: flag values live in one call,
	// never in package variables.
	flags func(fs *flag.FlagSet, e *procEnv) runFunc
}

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, args []string) error

// commands is the table: dispatch, the usage text and each command's -h
// come from it.
func commands() []command {
	return []command{
		{name: "send", summary: "send one correctly signed event for a configured source", flags: sendCmd},
		{name: "trigger", args: "SOURCE EVENT_TYPE", summary: "send a realistic signed fixture (-list shows them per source)", flags: triggerCmd},
		{name: "demo", summary: "send the seed's example events, a duplicate and a forged one", flags: demoCmd},
		{name: "load", summary: "send signed events at a rate for a bounded time; print throughput and latency", flags: loadCmd},
		{name: "sink", summary: "run an HTTP server that prints what it receives (a forward target)", flags: sinkCmd},
		{name: "stats", summary: "queue sizes by state, processed/failed today, latency, memory", flags: statsCmd},
		{name: "inspect", args: "EVENT_ID", summary: "where an event id is: its dedupe mark and each route's task", flags: inspectCmd},
		{name: "tail", summary: "follow live traffic: accepted, retrying, delivered, dead-lettered, refused", flags: tailCmd},
		{name: "dlq list", aliases: []string{"ls"}, args: "[ID...]", summary: "list dead-lettered tasks (filters: -source -type -route -since -until -error)", flags: dlqListCmd},
		{name: "dlq show", args: "TASK_ID|EVENT_ID", summary: "one task (any state) or an event's dead-lettered tasks, with body", flags: dlqShowCmd},
		{name: "dlq replay", aliases: []string{"retry", "run"}, args: "[ID...]", summary: "move dead-lettered tasks back to pending", flags: dlqActCmd("replay")},
		{name: "dlq delete", aliases: []string{"rm"}, args: "[ID...]", summary: "delete dead-lettered tasks", flags: dlqActCmd("delete")},
		{name: "dlq exported", summary: "list the dead-letter stream (kept after Asynq trims its archive)", flags: dlqExportedCmd},
		{name: "dlq restore", args: "STREAM_ID...", summary: "enqueue dead-letter stream entries again for their routes", flags: dlqRestoreCmd},
		{name: "ready", summary: "ask ingest's and the worker's /readyz (addresses from the config)", flags: readyCmd},
		{name: "endpoints", summary: "where the config's stack listens: webhook URLs, dashboard, metrics", flags: endpointsCmd},
		{name: "reconcile", summary: "list a provider's events (stripe, github) and enqueue what hookq missed", flags: reconcileCmd},
		{name: "providers", summary: "the verifier types (presets) hookq knows: signature, tolerance, defaults", flags: providersCmd},
		{name: "ping", summary: "check that the Redis at -redis (or REDIS_URL, or the config's) answers", flags: pingCmd},
	}
}

// groupNotes are said after a group's subcommands in its usage.
var groupNotes = map[string]string{"dlq": dlqNotes}

const usageNotes = `The config is -config FILE, else HOOKQ_CONFIG; the Redis is -redis URL, else REDIS_URL, else
the config's; ingest is -ingest URL, else the config's ingest.listen. In a checkout where
` + "`make run`" + ` runs, hookqctl reads the stack's REDIS_URL, HOOKQ_CONFIG and demo secrets from
.data/ (or HOOKQ_DATA): nothing to export. Only commands that sign (send, trigger, demo,
load) need a source's secrets. Flags may follow arguments; "--" ends flags: ids come after it.

Run 'hookqctl COMMAND -h' for a command's flags.
`

// usage is the usage text of the commands whose name starts with prefix
// ("" for all, "dlq " for a group).
func usage(prefix string) string {
	var b strings.Builder
	group := strings.TrimSpace(prefix)
	if group == "" {
		b.WriteString("usage: hookqctl COMMAND [flags] [ARGS]\n\ncommands:\n")
	} else {
		fmt.Fprintf(&b, "usage: hookqctl %s SUBCOMMAND [flags] [ARGS]\n\nsubcommands:\n", group)
	}
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		if name, ok := strings.CutPrefix(c.name, prefix); ok {
			fmt.Fprintf(&b, "  %-*s  %s\n", width-len(prefix), name, c.summary)
		}
	}
	b.WriteString("\n")
	if group == "" {
		b.WriteString(usageNotes)
	} else {
		b.WriteString(groupNotes[group])
	}
	return b.String()
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// dispatch finds args' command in the table, parses its flags and runs it.
func dispatch(ctx context.Context, args []string, e *procEnv) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage(""))
		return errors.New("no command")
	}
	if isHelp(args[0]) {
		fmt.Fprint(e.stdout, usage(""))
		return nil
	}
	for _, c := range commands() {
		if rest, ok := c.match(args); ok {
			return c.exec(ctx, rest, e)
		}
	}
	if _, ok := groupNotes[args[0]]; ok {
		g := args[0]
		switch {
		case len(args) == 1:
			fmt.Fprint(e.stderr, usage(g+" "))
			return fmt.Errorf("%s: no subcommand", g)
		case isHelp(args[1]):
			fmt.Fprint(e.stdout, usage(g+" "))
			return nil
		}
		fmt.Fprint(e.stderr, usage(g+" "))
		return fmt.Errorf("%s: unknown subcommand %q", g, args[1])
	}
	fmt.Fprint(e.stderr, usage(""))
	return fmt.Errorf("unknown command %q", args[0])
}

// match reports whether args start with c's name (or an alias of its last
// word), and returns the arguments after it.
func (c command) match(args []string) ([]string, bool) {
	words := strings.Fields(c.name)
	if len(args) < len(words) {
		return nil, false
	}
	last := len(words) - 1
	for i, w := range words {
		if args[i] != w && (i != last || !slices.Contains(c.aliases, args[i])) {
			return nil, false
		}
	}
	return args[len(words):], true
}

// exec parses c's flags from args, wherever they stand, and runs it.
func (c command) exec(ctx context.Context, args []string, e *procEnv) error {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: hookqctl %s [flags]", c.name)
		if c.args != "" {
			fmt.Fprintf(e.stderr, " [--] %s", c.args)
		}
		fmt.Fprintf(e.stderr, "\n\n%s\n\nflags:\n", c.summary)
		fs.PrintDefaults()
		if notes := groupNotes[strings.Fields(c.name)[0]]; notes != "" && strings.Contains(c.name, " ") {
			fmt.Fprint(e.stderr, "\n"+notes)
		}
	}
	runIt := c.flags(fs, e)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if c.args == "" && len(pos) > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags start with -)", c.name, pos[0])
	}
	return runIt(ctx, pos)
}

// parseInterleaved parses flags that may come after positional arguments
// ("show ID -json"); after "--" everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
