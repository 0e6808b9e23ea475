package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl/ctltest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// hostileIDs are event ids a provider (or an attacker with a signing key)
// may choose: shell syntax, quotes, and words that look like flags.
var hostileIDs = []string{
	"$(touch PWNED)", "`touch PWNED`", "a'b; touch PWNED", `x"y$HOME`, "-all", "--help", "evt with spaces", "*", "~root", "a\\b|c&d>e",
}

// TestPrintedCommandsAreShellSafe pastes every replay command hookqctl
// prints for a dead-lettered event with a hostile id into a real shell: no
// command may run, and hookqctl must receive exactly the task id, after "--".
func TestPrintedCommandsAreShellSafe(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	cfg := filepath.Join(t.TempDir(), "hookq.yaml")
	if err := os.WriteFile(cfg, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"TEST_REDIS_URL": srv.URL(), "TEST_SECRET": "s3cret"}[k]
	}
	for _, id := range hostileIDs {
		ctltest.Enqueue(t, rdb, &webhook.Event{Source: "stripe", ID: id, Type: "charge.refunded", Body: []byte(`{}`),
			ContentType: "application/json", ReceivedAt: time.Now()}, "app")
		if err := insp.ArchiveTask(queue.Queue, webhook.TaskID("stripe", "app", id)); err != nil {
			t.Fatal(err)
		}
	}

	// A fake hookqctl that records its arguments, one per line, NUL-free.
	dir := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$ARGS_OUT\"\n"
	if err := os.WriteFile(filepath.Join(dir, "hookqctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	paste := func(t *testing.T, line string) []string {
		t.Helper()
		out := filepath.Join(dir, "args")
		os.Remove(out)
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "ARGS_OUT=" + out, "HOME=/home/nobody"}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh -c %q: %v\n%s", line, err, b)
		}
		if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
			t.Fatalf("pasting %q ran a command", line)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("pasting %q did not run hookqctl: %v", line, err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	printed := func(t *testing.T, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(t.Context(), args, getenv, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if rest, ok := strings.CutPrefix(l, "replay: "); ok {
				return rest
			}
		}
		t.Fatalf("%v printed no replay line:\n%s", args, out.String())
		return ""
	}
	for _, id := range hostileIDs {
		taskID := webhook.TaskID("stripe", "app", id)
		want := []string{"dlq", "replay", "--", taskID}
		t.Run(id, func(t *testing.T) {
			for _, args := range [][]string{
				{"inspect", "-config", cfg, "--", id},
				{"dlq", "show", "-config", cfg, "--", taskID},
				{"dlq", "show", "-config", cfg, "--", id},
			} {
				if diff := cmp.Diff(want, paste(t, printed(t, args...))); diff != "" {
					t.Errorf("%v: pasted replay line gives hookqctl (-want +got):\n%s", args, diff)
				}
			}
		})
	}

	// The pasted arguments, run for real, replay that one task: "-all"
	// after "--" is an id, not the flag selecting everything.
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"dlq", "replay", "-config", cfg, "--", webhook.TaskID("stripe", "app", "-all")}, getenv, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "replayed 1,") {
		t.Errorf("replay output: %s", out.String())
	}
	for _, id := range hostileIDs {
		want := "archived"
		if id == "-all" {
			want = "pending"
		}
		info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID("stripe", "app", id))
		if err != nil || info.State.String() != want {
			t.Errorf("task of %q: %v %v, want %s", id, info, err, want)
		}
	}
	// An event id "-all" after "--" is an id for inspect and dlq delete too.
	out.Reset()
	if err := run(t.Context(), []string{"dlq", "delete", "-config", cfg, "--", "--help"}, getenv, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "deleted 1,") {
		t.Errorf("delete -- --help: %s", out.String())
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range append(hostileIDs, "", "plain_id:1", "é", "'", "''", "a\nb") {
		b, err := exec.Command("sh", "-c", `printf '%s' `+shellQuote(s)).Output()
		if err != nil || string(b) != s {
			t.Errorf("shellQuote(%q) = %s: sh reads %q (%v)", s, shellQuote(s), b, err)
		}
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, args := range [][]string{{"stats", "-h"}, {"inspect", "-h"}, {"dlq", "replay", "-h"}, {"dlq", "restore", "-h"}, {"send", "-h"}, {"ready", "-h"}, {"-h"}} {
		var out, errb bytes.Buffer
		err := run(t.Context(), args, func(string) string { return "" }, &out, &errb)
		if err != nil || strings.Contains(out.String()+errb.String(), "help requested") {
			t.Errorf("%v: err %v, output %q", args, err, out.String()+errb.String())
		}
	}
	for _, cmd := range []string{"send", "demo", "load", "sink", "stats", "inspect", "dlq list", "dlq show", "dlq replay",
		"dlq delete", "dlq exported", "dlq restore", "ready", "endpoints", "ping"} {
		if !strings.Contains(usage(""), "\n  "+cmd+" ") {
			t.Errorf("usage does not list %q", cmd)
		}
	}
}
