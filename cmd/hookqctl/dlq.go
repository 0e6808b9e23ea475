package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

const dlqUsage = `usage: hookqctl dlq SUBCOMMAND [flags] [ID...]

The dead-letter queue is Asynq's archived tasks of queue "` + queue.Queue + `".

subcommands:
  list     list dead-lettered tasks (filters below; -json for machine output)
  show     show one task (TASK_ID, any state) or an event's dead-lettered tasks (EVENT_ID)
  replay   move selected tasks back to pending (Asynq RunTask); -all when no filter or id
  delete   delete selected tasks for good; -all when no filter or id
  exported list the dead-letter stream (` + queue.DeadLetterStream + `): a copy of every
           dead-lettered event, kept even after Asynq trims its archive
  restore  enqueue the events of stream entries (STREAM_ID...) again for their routes

filters (list, replay, delete): -source S -type GLOB -route GLOB -since T -until T -error TEXT
  T is a duration before now (90m, 36h, 7d), an RFC 3339 time or a date; it is compared with
  the task's last failure (or, for a task archived by hand, the event's receipt).
IDs (replay, delete) are task ids (<source>:<route>:<event id>) or event ids.
Every command takes -config FILE (env HOOKQ_CONFIG) or -redis URL (env REDIS_URL).
`

// barMin is the smallest batch that gets a progress bar.
const barMin = 5

// connFlags are the flags every Redis-reading command takes.
type connFlags struct {
	config, redis string
	// where names the Redis open connected to and why that one, for
	// messages about empty results.
	where string
}

func addConnFlags(fs *flag.FlagSet, getenv func(string) string) *connFlags {
	c := &connFlags{}
	fs.StringVar(&c.config, "config", getenv("HOOKQ_CONFIG"), "config file (env HOOKQ_CONFIG): Redis URL, sources and routes")
	fs.StringVar(&c.redis, "redis", "", "Redis URL (default: env REDIS_URL, else the config's redis.url)")
	return c
}

// open connects to Redis. The URL is -redis, else REDIS_URL, else the
// config's; the config also gives inspect its sources and routes.
func (c *connFlags) open(getenv func(string) string, stderr io.Writer) (*ctl.Ctl, func(), error) {
	var topo ctl.Topology
	url, origin := c.redis, "-redis"
	if url == "" && getenv("REDIS_URL") != "" {
		url, origin = getenv("REDIS_URL"), "REDIS_URL"
		if f := getenv(originKey); f != "" {
			origin = "the REDIS_URL `make run` wrote to " + f
		}
	}
	if c.config != "" {
		cfgURL, t, err := loadTopology(c.config, getenv)
		if err != nil {
			return nil, nil, err
		}
		topo = t
		if url == "" {
			url, origin = cfgURL, "redis.url of "+c.config
		}
	}
	if url == "" {
		return nil, nil, errors.New("no Redis: pass -redis URL or -config FILE, or set REDIS_URL or HOOKQ_CONFIG (or start `make run` from this checkout)")
	}
	rdb, _, err := app.Redis(url)
	if err != nil {
		return nil, nil, err
	}
	c.where = fmt.Sprintf("Redis %s (%s)", redactURL(url), origin)
	return ctl.New(rdb, topo), func() { rdb.Close() }, nil
}

// loadTopology reads the config's Redis URL (REDIS_URL overriding it) and its
// sources and routes; it needs no secrets.
func loadTopology(file string, getenv func(string) string) (string, ctl.Topology, error) {
	topo := ctl.Topology{Routes: map[string][]string{}}
	cfg, err := loadConfig(file, getenv)
	if err != nil {
		return "", topo, err
	}
	for _, s := range cfg.Sources {
		topo.Sources = append(topo.Sources, s.Name)
	}
	topo.Policies = map[string]webhook.Task{}
	for _, r := range cfg.Routes {
		topo.Routes[r.Source] = append(topo.Routes[r.Source], r.Name)
		topo.Policies[r.Name] = webhook.Task{Route: r.Name, MaxRetry: *r.MaxRetries, Timeout: r.Timeout + 5*time.Second,
			Retention: cfg.History.Retention}
	}
	for _, s := range topo.Sources {
		if _, ok := topo.Routes[s]; !ok {
			topo.Routes[s] = nil // known to have no routes: nothing to scan for
		}
	}
	return cfg.Redis.URL, topo, nil
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

// filterFlags are the selection flags of list, replay and delete.
type filterFlags struct {
	source, typ, route, since, until, errText string
}

func addFilterFlags(fs *flag.FlagSet) *filterFlags {
	f := &filterFlags{}
	fs.StringVar(&f.source, "source", "", "only this source")
	fs.StringVar(&f.typ, "type", "", "only event types matching this glob (payment_intent.*)")
	fs.StringVar(&f.route, "route", "", "only routes matching this glob")
	fs.StringVar(&f.since, "since", "", "only tasks that failed at or after: duration ago (90m, 36h, 7d), RFC 3339 time or date")
	fs.StringVar(&f.until, "until", "", "only tasks that failed at or before (same forms as -since)")
	fs.StringVar(&f.errText, "error", "", "only tasks whose last error contains this text (case-insensitive)")
	return f
}

func (f *filterFlags) filter(now time.Time, ids []string) (ctl.Filter, error) {
	out := ctl.Filter{Source: f.source, Type: f.typ, Route: f.route, Error: f.errText, IDs: ids}
	var err error
	if out.Since, err = ctl.ParseTime(f.since, now); err != nil {
		return out, fmt.Errorf("-since: %w", err)
	}
	if out.Until, err = ctl.ParseTime(f.until, now); err != nil {
		return out, fmt.Errorf("-until: %w", err)
	}
	return out, out.Validate()
}

func cmdDlq(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, dlqUsage)
		return errors.New("dlq: no subcommand")
	}
	switch args[0] {
	case "list", "ls":
		return cmdDlqList(ctx, args[1:], getenv, stdout, stderr)
	case "show":
		return cmdDlqShow(ctx, args[1:], getenv, stdout, stderr)
	case "replay", "retry", "run":
		return cmdDlqAct(ctx, "replay", args[1:], getenv, stdout, stderr)
	case "delete", "rm":
		return cmdDlqAct(ctx, "delete", args[1:], getenv, stdout, stderr)
	case "exported":
		return cmdDlqExported(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return cmdDlqRestore(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, dlqUsage)
		return nil
	}
	fmt.Fprint(stderr, dlqUsage)
	return fmt.Errorf("dlq: unknown subcommand %q", args[0])
}

func cmdDlqList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dlq list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	ff := addFilterFlags(fs)
	limit := fs.Int("limit", 50, "show at most N tasks, most recently failed first (0: all)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	f, err := ff.filter(time.Now(), pos)
	if err != nil {
		return err
	}
	c, closeFn, err := conn.open(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	tasks, err := c.Archived(ctx, f)
	if err != nil {
		return err
	}
	total := len(tasks)
	if *limit > 0 && len(tasks) > *limit {
		tasks = tasks[:*limit]
	}
	if *asJSON {
		if tasks == nil {
			tasks = []*ctl.Task{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tasks)
	}
	if total == 0 {
		fmt.Fprintln(stdout, "no dead-lettered tasks match in", conn.where)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK ID\tSOURCE\tROUTE\tEVENT ID\tEVENT TYPE\tLAST FAILED\tRETRIED\tLAST ERROR")
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", t.ID, t.Source, t.Route, t.EventID, dash(t.EventType),
			fmtTime(t.LastFailedAt), t.Retried, t.MaxRetry, dash(oneLine(t.LastErr, 60)))
	}
	tw.Flush()
	if len(tasks) < total {
		fmt.Fprintf(stdout, "(%d of %d shown; -limit 0 shows all)\n", len(tasks), total)
	} else {
		fmt.Fprintf(stdout, "(%d %s)\n", total, plural(total, "task"))
	}
	return nil
}

func cmdDlqShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dlq show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("dlq show: want exactly one TASK_ID or EVENT_ID")
	}
	c, closeFn, err := conn.open(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	tasks, err := c.Find(ctx, pos[0])
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		return fmt.Errorf("no task %q and no dead-lettered task of an event %q in %s (try: %s)", pos[0], pos[0], conn.where, commandLine([]string{"inspect"}, pos[0]))
	}
	if *asJSON {
		out := make([]showJSON, len(tasks))
		for i, t := range tasks {
			out[i] = newShowJSON(t)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, t := range tasks {
		if i > 0 {
			fmt.Fprintln(stdout, strings.Repeat("-", 72))
		}
		showTask(stdout, t, time.Now())
	}
	return nil
}

// showJSON is a task with its event's headers and body.
type showJSON struct {
	*ctl.Task
	Type        string            `json:"type"`
	Queue       string            `json:"queue"`
	Timeout     string            `json:"timeout,omitempty"`
	TaskHeaders map[string]string `json:"task_headers,omitempty"`
	VerifiedBy  string            `json:"verified_by,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`      // a JSON body, as received
	BodyText    string            `json:"body_text,omitempty"` // any other printable body
	BodyB64     []byte            `json:"body_b64,omitempty"`  // anything else
}

func newShowJSON(t *ctl.Task) showJSON {
	s := showJSON{Task: t, Type: t.Info.Type, Queue: t.Info.Queue, TaskHeaders: t.Info.Headers}
	if t.Info.Timeout > 0 {
		s.Timeout = t.Info.Timeout.String()
	}
	if t.Event == nil {
		s.BodyB64 = t.Info.Payload
		return s
	}
	e := t.Event
	s.VerifiedBy, s.ContentType, s.Headers = e.VerifiedBy, e.ContentType, e.Headers
	switch {
	case len(e.Body) == 0:
	case json.Valid(e.Body):
		s.Body = e.Body
	case printable(e.Body):
		s.BodyText = string(e.Body)
	default:
		s.BodyB64 = e.Body
	}
	return s
}

func showTask(w io.Writer, t *ctl.Task, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("task id", t.ID)
	row("state", t.State)
	row("queue / type", t.Info.Queue+" / "+t.Info.Type)
	row("source", t.Source)
	row("route", t.Route)
	row("event id", t.EventID)
	row("event type", t.EventType)
	row("received at", fmtTimeAgo(t.ReceivedAt, now))
	row("retried", fmt.Sprintf("%d of %d", t.Retried, t.MaxRetry))
	row("last failed at", fmtTimeAgo(t.LastFailedAt, now))
	row("last error", t.LastErr)
	if t.Delivery != nil {
		row("delivery", deliveryText(t.Delivery)+" at "+fmtTime(t.Delivery.At))
	}
	row("completed at", fmtTimeAgo(t.CompletedAt, now))
	if !t.NextProcessAt.IsZero() {
		row("next process at", t.NextProcessAt.UTC().Format(time.RFC3339))
	}
	if t.Info.Timeout > 0 {
		row("timeout", t.Info.Timeout.String())
	}
	row("task headers", kv(t.Info.Headers))
	row("decode error", t.DecodeErr)
	if t.Event != nil {
		row("verified by", t.Event.VerifiedBy)
		row("content type", t.Event.ContentType)
		row("headers", kv(t.Event.Headers))
	}
	tw.Flush()
	if t.State == "archived" {
		fmt.Fprintln(w, "replay:", commandLine([]string{"dlq", "replay"}, t.ID))
	}
	body := t.Info.Payload
	if t.Event != nil {
		body = t.Event.Body
	}
	kind, text := renderBody(body)
	fmt.Fprintf(w, "body (%d bytes, %s):\n%s", len(body), kind, text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(w)
	}
}

// renderBody shows a body readably: JSON indented, printable text as is,
// anything else as a hex dump.
func renderBody(b []byte) (kind, text string) {
	switch {
	case len(b) == 0:
		return "empty", ""
	case json.Valid(b):
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			return "JSON", out.String()
		}
		return "JSON", string(b)
	case printable(b):
		return "text", string(b)
	}
	return "binary, hex dump", hex.Dump(b)
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

func cmdDlqAct(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dlq "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := addConnFlags(fs, getenv)
	ff := addFilterFlags(fs)
	all := fs.Bool("all", false, "select every dead-lettered task (required when no filter and no id is given)")
	limit := fs.Int("limit", 0, "act on at most N tasks, most recently failed first (0: all selected)")
	dry := fs.Bool("dry-run", false, "only list what would be "+verb+"ed")
	noBar := fs.Bool("no-progress", false, "no progress bar")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	f, err := ff.filter(time.Now(), pos)
	if err != nil {
		return err
	}
	if f.Empty() && !*all {
		return fmt.Errorf("dlq %s: refusing to %s every dead-lettered task without -all; give task or event ids or a filter", verb, verb)
	}
	c, closeFn, err := conn.open(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	tasks, missing, err := c.Select(ctx, f)
	if err != nil {
		return err
	}
	for _, id := range missing {
		fmt.Fprintf(stderr, "not in the dead-letter queue: %s\n", id)
	}
	if *limit > 0 && len(tasks) > *limit {
		tasks = tasks[:*limit]
	}
	past := map[string]string{"replay": "replayed", "delete": "deleted"}[verb]
	if *dry {
		for _, t := range tasks {
			fmt.Fprintln(stdout, t.ID)
		}
		fmt.Fprintf(stdout, "dry run: %d %s would be %s\n", len(tasks), plural(len(tasks), "task"), past)
		return nil
	}
	var bar *progressbar.ProgressBar
	var progress func()
	if len(tasks) > barMin && !*noBar {
		bar = progressbar.NewOptions(len(tasks), progressbar.OptionSetWriter(stderr),
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
	fmt.Fprintf(stdout, "%s %d, already gone %d, failed %d (of %d selected)\n", past, o.Done, o.NotFound, len(o.Failed), len(tasks))
	for _, f := range o.Failed {
		fmt.Fprintln(stderr, "failed:", f)
	}
	if verb == "replay" && o.Done > 0 {
		fmt.Fprintln(stdout, "note: Asynq keeps a replayed task's retry count, so a task that used all its retries gets one more attempt before it is dead-lettered again")
	}
	if err != nil {
		return err
	}
	if len(o.Failed) > 0 {
		return fmt.Errorf("dlq %s: %d tasks failed", verb, len(o.Failed))
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtTimeAgo(t time.Time, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339) + " (" + ago(now.Sub(t)) + ")"
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Second).String()
	case d < time.Minute:
		return d.Round(time.Second).String() + " ago"
	case d < 48*time.Hour:
		return d.Round(time.Minute).String() + " ago"
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func kv(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}
