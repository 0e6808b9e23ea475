package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl/ctltest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
)

const testConfig = `redis:
  url: ${TEST_REDIS_URL}
sources:
  - name: stripe
    verifier: { type: hmac, header: X-Sig, secrets: ["${TEST_SECRET}"] }
  - name: github
    verifier: { type: hmac, header: X-Sig, secrets: ["${TEST_SECRET}"] }
  - name: seed
    verifier: { type: hmac, header: X-Sig, secrets: ["${TEST_SECRET}"] }
routes:
  - { name: app, source: stripe, handler: log }
  - { name: audit, source: stripe, handler: log }
  - { name: ci, source: github, handler: log }
  - { name: forms, source: seed, handler: log }
`

// env is a seeded private Redis plus a config naming it.
type env struct {
	url, config string
	insp        *asynq.Inspector
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	srv := redistest.Start(tb)
	rdb := srv.Client()
	ctltest.Seed(tb, rdb)
	cfg := filepath.Join(tb.TempDir(), "hookq.yaml")
	if err := os.WriteFile(cfg, []byte(testConfig), 0o600); err != nil {
		tb.Fatal(err)
	}
	return &env{url: srv.URL(), config: cfg, insp: asynq.NewInspectorFromRedisClient(rdb)}
}

// getenv is a process environment with the config's variables set, minus
// the names in unset.
func (e *env) getenv(unset ...string) func(string) string {
	vars := map[string]string{"TEST_REDIS_URL": e.url, "TEST_SECRET": "s3cret"}
	for _, k := range unset {
		delete(vars, k)
	}
	return func(k string) string { return vars[k] }
}

func (e *env) run(tb testing.TB, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, getenv, &out, &errb)
	return out.String(), errb.String(), err
}

func TestDlqList(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"All", nil, ctltest.Archived},
		{"Source", []string{"-source", "github"}, []string{"github:ci:gh_1"}},
		{"TypeGlob", []string{"-type", "charge.*"}, []string{"stripe:app:evt_b", "stripe:app:evt_old"}},
		{"Route", []string{"-route", "audit"}, []string{"stripe:audit:evt_a"}},
		{"Error", []string{"-error", "permanent"}, []string{"seed:forms:txt_1", "stripe:app:evt_b"}},
		{"Since", []string{"-since", "1h"}, []string{"github:ci:gh_1", "seed:forms:txt_1", "stripe:app:evt_a", "stripe:app:evt_b", "stripe:audit:evt_a"}},
		{"Until", []string{"-until", "2020-01-01"}, []string{"stripe:app:evt_old"}},
		{"SinceUntil", []string{"-since", "2018-12-31T00:00:00Z", "-until", "2019-01-02T00:00:00Z"}, []string{"stripe:app:evt_old"}},
		{"EventID", []string{"evt_a"}, []string{"stripe:app:evt_a", "stripe:audit:evt_a"}},
		{"Limit", []string{"-limit", "2", "-source", "stripe", "-error", "answered"}, []string{"stripe:app:evt_a", "stripe:app:evt_b"}},
		{"None", []string{"-source", "nope"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"dlq", "list", "-redis", e.url, "-json"}, tt.args...)
			out, stderr, err := e.run(t, e.getenv(), args...)
			if err != nil {
				t.Fatalf("%v; stderr: %s", err, stderr)
			}
			var got []struct {
				TaskID string `json:"task_id"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not a JSON array: %v\n%s", err, out)
			}
			ids := []string{}
			for _, g := range got {
				ids = append(ids, g.TaskID)
			}
			sort.Strings(ids)
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("task ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDlqListText(t *testing.T) {
	e := newEnv(t)
	out, _, err := e.run(t, e.getenv(), "dlq", "list", "-config", e.config, "-limit", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TASK ID", "SOURCE", "ROUTE", "EVENT ID", "EVENT TYPE", "LAST FAILED", "RETRIED", "LAST ERROR",
		"(3 of 6 shown; -limit 0 shows all)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = e.run(t, e.getenv(), "dlq", "list", "-config", e.config, "-route", "ci")
	if !strings.Contains(out, "github:ci:gh_1  github  ci") || !strings.Contains(out, "0/0") ||
		!strings.Contains(out, "forward: upstream answered 500 Internal Server Error") {
		t.Errorf("row for gh_1 missing or wrong:\n%s", out)
	}
}

func TestDlqShow(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		id   string
		want []string
	}{
		{"TaskJSONBody", "stripe:app:evt_b", []string{"task id", "stripe:app:evt_b", "archived", "charge.refunded", "retried",
			"0 of 0", "404 Not Found (permanent)", "traceparent=00-", "replay: hookqctl dlq replay -- stripe:app:evt_b",
			"body (39 bytes, JSON):\n{\n  \"id\": \"evt_b\",\n  \"type\": \"charge.refunded\"\n}\n"}},
		{"TextBody", "seed:forms:txt_1", []string{"application/x-www-form-urlencoded", "body (10 bytes, text):\na=1&b=two\n"}},
		{"EventIDShowsEveryRoute", "evt_a", []string{"stripe:app:evt_a", "stripe:audit:evt_a", "connection refused", "\"amount\": 5000"}},
		{"PendingTask", ctltest.Pending, []string{"state            pending", "payment_intent.created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := e.run(t, e.getenv(), "dlq", "show", tt.id, "-redis", e.url)
			if err != nil {
				t.Fatalf("%v; stderr %s", err, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("JSON", func(t *testing.T) {
		out, _, err := e.run(t, e.getenv(), "dlq", "show", "-redis", e.url, "-json", "stripe:app:evt_b")
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
			t.Fatalf("bad JSON %v:\n%s", err, out)
		}
		if diff := cmp.Diff(map[string]any{"id": "evt_b", "type": "charge.refunded"}, got[0]["body"]); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		if _, _, err := e.run(t, e.getenv(), "dlq", "show", "-redis", e.url, "nope"); err == nil || !strings.Contains(err.Error(), "hookqctl inspect -- nope") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDlqReplayDelete(t *testing.T) {
	e := newEnv(t)
	state := func(id string) string {
		info, err := e.insp.GetTaskInfo(queue.Queue, id)
		if err != nil {
			return "gone"
		}
		return info.State.String()
	}
	steps := []struct {
		name    string
		args    []string
		wantErr string
		stdout  []string
		stderr  []string
		states  map[string]string
	}{
		{"ReplayRefusesEverything", []string{"dlq", "replay"}, "without -all", nil, nil, map[string]string{"stripe:app:evt_a": "archived"}},
		{"DeleteRefusesEverything", []string{"dlq", "delete"}, "without -all", nil, nil, map[string]string{"stripe:app:evt_a": "archived"}},
		{"DryRun", []string{"dlq", "replay", "-source", "stripe", "-dry-run"}, "", []string{"dry run: 4 tasks would be replayed", "stripe:app:evt_old"}, nil,
			map[string]string{"stripe:app:evt_a": "archived"}},
		{"ReplayByIDs", []string{"dlq", "replay", "evt_a", ctltest.Pending, "nope"}, "",
			[]string{"replayed 2, already gone 0, failed 0 (of 2 selected)", "note: Asynq keeps a replayed task's retry count"},
			[]string{"not in the dead-letter queue: " + ctltest.Pending + " (pending)", "not in the dead-letter queue: nope"},
			map[string]string{"stripe:app:evt_a": "pending", "stripe:audit:evt_a": "pending", "stripe:app:evt_b": "archived"}},
		{"DeleteByFilter", []string{"dlq", "delete", "-error", "permanent"}, "", []string{"deleted 2, already gone 0, failed 0 (of 2 selected)"}, nil,
			map[string]string{"stripe:app:evt_b": "gone", "seed:forms:txt_1": "gone", "github:ci:gh_1": "archived"}},
		{"ReplayAll", []string{"dlq", "replay", "-all"}, "", []string{"replayed 2, already gone 0, failed 0 (of 2 selected)"}, nil,
			map[string]string{"github:ci:gh_1": "pending", "stripe:app:evt_old": "pending"}},
		{"NothingLeft", []string{"dlq", "replay", "-all"}, "", []string{"replayed 0, already gone 0, failed 0 (of 0 selected)"}, nil, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, stderr, err := e.run(t, e.getenv(), append(st.args, "-redis", e.url)...)
			if st.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, st.wantErr)
				}
			} else if err != nil {
				t.Fatalf("%v; stderr %s", err, stderr)
			}
			for _, w := range st.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range st.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for id, want := range st.states {
				if got := state(id); got != want {
					t.Errorf("%s is %s, want %s", id, got, want)
				}
			}
		})
	}
}

func TestDlqReplayProgressBar(t *testing.T) {
	e := newEnv(t)
	out, stderr, err := e.run(t, e.getenv(), "dlq", "replay", "-all", "-redis", e.url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "replayed 6,") || !strings.Contains(stderr, "replay") || !strings.Contains(stderr, "/6)") {
		t.Errorf("stdout %q\nstderr %q", out, stderr)
	}
}

func TestStatsCommand(t *testing.T) {
	e := newEnv(t)
	out, _, err := e.run(t, e.getenv(), "stats", "-config", e.config, "-marks")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"QUEUE", "PENDING", "ARCHIVED", "PROCESSED TODAY", "FAILED TODAY", "LATENCY", "MEMORY",
		"dedupe marks: 7", "stripe", "5"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	out, _, err = e.run(t, e.getenv(), "stats", "-redis", e.url, "-json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Queues []struct {
			Queue                                      string
			Pending, Archived, Size, Processed, Failed int
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []struct {
		Queue                                      string
		Pending, Archived, Size, Processed, Failed int
	}{{queue.Queue, 1, 6, 7, 5, 5}}
	if diff := cmp.Diff(want, got.Queues); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
}

func TestInspectCommand(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		unset    []string
		args     []string
		want     []string
		wantWarn bool
	}{
		{"DeadLettered", nil, []string{"evt_a", "-config", e.config}, []string{"event evt_a", "dedupe mark  stripe", "present, expires in",
			"route app", "stripe:app:evt_a", "archived", "retried 0/0", "500 Internal Server Error", "route audit", "connection refused",
			"verdict: tasks exist (app: archived, audit: archived)"}, false},
		{"Finished", nil, []string{ctltest.Done, "-config", e.config}, []string{"present, expires in", "no task",
			"verdict: processed (or deduped) — task finished"}, false},
		{"NotFound", nil, []string{"nope", "-config", e.config, "-source", "github"}, []string{"dedupe mark  none", "github:ci:nope", "verdict: not found"}, false},
		{"ScanWithoutConfig", nil, []string{"gh_1", "-redis", e.url}, []string{"dedupe mark  github", "github:ci:gh_1", "archived"}, false},
		{"ConfigWithoutSecrets", []string{"TEST_SECRET"}, []string{"-config", e.config, "evt_p"}, []string{"stripe:app:evt_p", "pending",
			"verdict: tasks exist (app: pending)"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := e.run(t, e.getenv(tt.unset...), append([]string{"inspect"}, tt.args...)...)
			if err != nil {
				t.Fatalf("%v; stderr %s", err, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if gotWarn := strings.Contains(stderr, "TEST_SECRET"); gotWarn != tt.wantWarn {
				t.Errorf("warning about the unset variable: %v, want %v; stderr %q", gotWarn, tt.wantWarn, stderr)
			}
		})
	}
	t.Run("JSON", func(t *testing.T) {
		out, _, err := e.run(t, e.getenv(), "inspect", "-config", e.config, "-json", "evt_a")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Marks  []struct{ Source, TTL string }
			Routes []struct {
				TaskID string `json:"task_id"`
				Task   *struct{ State string }
			}
			Verdict string
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(got.Marks) != 1 || got.Marks[0].Source != "stripe" || !strings.HasSuffix(got.Marks[0].TTL, "s") ||
			len(got.Routes) != 2 || got.Routes[0].Task == nil || got.Routes[0].Task.State != "archived" {
			t.Errorf("unexpected JSON:\n%s", out)
		}
	})
}

func TestConnErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"NoRedis", []string{"stats"}, nil, "no Redis"},
		{"BadURL", []string{"stats", "-redis", "http://x"}, nil, "redis.url"},
		{"MissingConfig", []string{"dlq", "list", "-config", "/nonexistent.yaml"}, nil, "no such file"},
		{"BadSince", []string{"dlq", "list", "-redis", "redis://127.0.0.1:1/0", "-since", "soon"}, nil, "-since"},
		{"BadGlob", []string{"dlq", "list", "-redis", "redis://127.0.0.1:1/0", "-type", "["}, nil, "bad glob"},
		{"ShowNeedsOneID", []string{"dlq", "show", "-redis", "redis://127.0.0.1:1/0"}, nil, "exactly one"},
		{"UnknownSub", []string{"dlq", "frob"}, nil, "unknown subcommand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args []string
		want []string
		json bool
	}{
		{[]string{"a", "-json", "b"}, []string{"a", "b"}, true},
		{[]string{"-json", "a"}, []string{"a"}, true},
		{[]string{"a", "--", "-json"}, []string{"a", "-json"}, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := newTestFlagSet()
			j := fs.Bool("json", false, "")
			got, err := parseInterleaved(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || *j != tt.json {
				t.Errorf("positional (-want +got):\n%s json=%v", diff, *j)
			}
		})
	}
}

func newTestFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
