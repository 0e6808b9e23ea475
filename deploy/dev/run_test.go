// Package dev_test runs deploy/dev/run.sh (what `make run` runs) as a user
// would, against the real binaries, on free ports with its own data folder
// and its own redis-server: never the Redis on 6379.
package dev_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/redistest"
)

var binDir string

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		fmt.Println("skipping deploy/dev tests: redis-server not installed (make test installs it)")
		os.Exit(0)
	}
	proctest.Main(m, &binDir, "github.com/hookq/hookq/cmd/hookqctl")
}

// stackConfig is a config on free ports: the seed source (its secret from
// the demo secrets run.sh writes), a forward route to the sink, and secret
// as the stripe source's secret (a ${VAR} or a literal).
func stackConfig(tb testing.TB, dir, stripeSecret string) string {
	tb.Helper()
	cfg := fmt.Sprintf(`redis:
  url: redis://127.0.0.1:6379/0   # must be ignored: make run's Redis wins
ingest:
  listen: "127.0.0.1:%d"
  admin_listen: "127.0.0.1:%d"
worker:
  admin_listen: "127.0.0.1:%d"
  shutdown_timeout: 5s
dashboard:
  password: ${HOOKQ_DASHBOARD_PASSWORD}
history:
  retention: 1h
sources:
  - name: seed
    verifier: { type: hmac, header: X-Signature, secrets: ["${SEED_WEBHOOK_SECRET}"] }
    event_id:   { json: id }
    event_type: { json: type }
  - name: stripe
    verifier: { type: stripe, secrets: ["%s"] }
routes:
  - { name: payments, source: seed, events: ["payment_success"], handler: payment_success }
  - { name: to-sink, source: seed, events: ["order_created"], handler: forward, url: "http://127.0.0.1:%d/hooks" }
  - { name: stripe-log, source: stripe, handler: log }
`, redistest.FreePort(tb), redistest.FreePort(tb), redistest.FreePort(tb), stripeSecret, redistest.FreePort(tb))
	path := filepath.Join(dir, "my config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// stack is one run.sh in its own process group, as a terminal runs it.
type stack struct {
	cmd  *exec.Cmd
	dir  string // the "checkout" a second terminal works in; data in dir/.data
	out  *proctest.Buffer
	done chan struct{}
	err  error
}

func startStack(tb testing.TB, config string) *stack {
	tb.Helper()
	dir := filepath.Dir(config)
	s := &stack{dir: dir, out: &proctest.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command("bash", "run.sh")
	// A clean environment: no REDIS_URL, no secrets.
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "BIN=" + binDir, "HOOKQ_CONFIG=" + config,
		"HOOKQ_DATA=" + filepath.Join(dir, ".data"), fmt.Sprintf("HOOKQ_REDIS_PORT=%d", redistest.FreePort(tb)),
		"HOOKQ_READY_TIMEOUT=30"}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	tb.Cleanup(func() {
		select {
		case <-s.done:
		default:
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(40 * time.Second):
				tb.Errorf("run.sh did not stop on SIGTERM:\n%s", s.out)
			}
		}
	})
	return s
}

// wait waits for run.sh to exit and returns its exit status.
func (s *stack) wait(tb testing.TB, d time.Duration) int {
	tb.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		tb.Fatalf("run.sh still running after %v:\n%s", d, s.out)
	}
	return s.cmd.ProcessState.ExitCode()
}

func (s *stack) waitUp(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.out.String(), "Ctrl-C stops everything.") {
		select {
		case <-s.done:
			tb.Fatalf("run.sh exited (%v) before the stack was up:\n%s", s.err, s.out)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not up within 60s:\n%s", s.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ctl runs hookqctl as a second terminal in the checkout would: a clean
// environment, nothing exported.
func (s *stack) ctl(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "hookqctl"), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.dir}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pidOf finds the process of this stack running exe (by its command line).
func (s *stack) pidOf(tb testing.TB, exe string, args ...string) int {
	tb.Helper()
	want := strings.Join(append([]string{filepath.Join(binDir, exe)}, args...), "\x00") + "\x00"
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && string(b) == want {
			var pid int
			fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &pid)
			return pid
		}
	}
	tb.Fatalf("no process %q", strings.ReplaceAll(want, "\x00", " "))
	return 0
}

func TestRunUnsetSecretFailsNamingProcesses(t *testing.T) {
	config := stackConfig(t, t.TempDir(), "${HOOKQ_TEST_UNSET_STRIPE_SECRET}")
	s := startStack(t, config)
	if code := s.wait(t, 90*time.Second); code == 0 {
		t.Errorf("exit status 0, want non-zero:\n%s", s.out)
	}
	out := s.out.String()
	for _, want := range []string{
		"hookq: ingest exited with status 1 before it was ready",
		"hookq: worker exited with status 1 before it was ready",
		"${HOOKQ_TEST_UNSET_STRIPE_SECRET} is not set", // the last log lines, shown
		"hookq: NOT started",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hookq is up") {
		t.Errorf("announced a stack that is not up:\n%s", out)
	}
}

func TestRunUpSecondTerminalCtrlC(t *testing.T) {
	config := stackConfig(t, t.TempDir(), "whsec_literal_for_this_test")
	s := startStack(t, config)
	s.waitUp(t)

	t.Run("DataFolderOwnerOnly", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{".data": 0o700 | os.ModeDir, ".data/env": 0o600, ".data/stack.env": 0o600} {
			fi, err := os.Stat(filepath.Join(s.dir, path))
			if err != nil || fi.Mode() != want {
				t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, want)
			}
		}
	})
	t.Run("BannerFromConfig", func(t *testing.T) {
		out := s.out.String()
		for _, want := range []string{"/webhooks/seed  [hmac]  payments (payment_success → payment_success), to-sink (order_created → forward)",
			"/webhooks/stripe  [stripe]  stripe-log (all events → log)", "dashboard  http://127.0.0.1:"} {
			if !strings.Contains(out, want) {
				t.Errorf("banner lacks %q:\n%s", want, out)
			}
		}
	})

	// The second terminal: nothing exported, yet the stack's Redis.
	var redisURL string
	t.Run("StatsNamesTheStacksRedis", func(t *testing.T) {
		out, err := s.ctl(t, "stats")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		m := regexp.MustCompile(`in Redis (redis://127\.0\.0\.1:\d+/0) \(the REDIS_URL .make run. wrote to `).FindStringSubmatch(out)
		if m == nil || strings.Contains(out, ":6379") {
			t.Fatalf("stats on an empty stack should name the stack's Redis:\n%s", out)
		}
		redisURL = m[1]
	})
	t.Run("SendInspect", func(t *testing.T) {
		out, err := s.ctl(t, "send", "-source", "seed", "-type", "order_created", "-id", "evt_first_hour")
		if err != nil || !strings.Contains(out, `"status":"accepted"`) {
			t.Fatalf("send: %v\n%s", err, out)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(s.out.String(), "sink: POST /hooks source=seed event=evt_first_hour") {
			if time.Now().After(deadline) {
				t.Fatalf("the sink never printed the forwarded event:\n%s", s.out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// The delivered event is kept with the destination's answer.
		for {
			out, err = s.ctl(t, "inspect", "evt_first_hour")
			if err == nil && strings.Contains(out, "completed") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("inspect: %v\n%s", err, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !regexp.MustCompile(`dedupe mark +seed +present`).MatchString(out) ||
			!regexp.MustCompile(`route to-sink +seed:to-sink:evt_first_hour +completed +destination answered 200 in [0-9.]+ms \(attempt 1\)`).MatchString(out) {
			t.Fatalf("inspect:\n%s", out)
		}
		// And so does the dashboard's Completed tab (Asynqmon's API behind it).
		env := map[string]string{}
		b, _ := os.ReadFile(filepath.Join(s.dir, ".data", "env"))
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				env[k] = v
			}
		}
		dash := regexp.MustCompile(`dashboard  (http://\S+/monitoring/)`).FindStringSubmatch(s.out.String())
		if dash == nil {
			t.Fatalf("no dashboard URL in the banner:\n%s", s.out)
		}
		req, _ := http.NewRequest(http.MethodGet, dash[1]+"api/queues/webhooks/completed_tasks", nil)
		req.SetBasicAuth("ops", env["HOOKQ_DASHBOARD_PASSWORD"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		api, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(api), "seed:to-sink:evt_first_hour") || !strings.Contains(string(api), `\"status\":200`) {
			t.Errorf("dashboard completed tasks: %d\n%s", resp.StatusCode, api)
		}
		out, err = s.ctl(t, "stats")
		if err != nil || !strings.Contains(out, "webhooks") {
			t.Fatalf("stats: %v\n%s", err, out)
		}
		out, err = s.ctl(t, "send", "-source", "seed", "-type", "no_such_type")
		if err != nil || !strings.Contains(out, `warning: ignored: no route of source seed matches event type "no_such_type"`) ||
			!strings.Contains(out, "payments (payment_success), to-sink (order_created)") {
			t.Errorf("send of an unrouted type: %v\n%s", err, out)
		}
		out, err = s.ctl(t, "trigger", "seed", "payment_success")
		if err != nil || !strings.Contains(out, `"status":"accepted"`) {
			t.Fatalf("trigger: %v\n%s", err, out)
		}
		for !strings.Contains(s.out.String(), "receipt for payment pay_evt_") {
			if time.Now().After(deadline) {
				t.Fatalf("the payment handler never ran for the triggered event:\n%s", s.out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		out, err = s.ctl(t, "ready")
		if err != nil {
			t.Fatalf("ready: %v\n%s", err, out)
		}
	})
	t.Run("Tail", func(t *testing.T) {
		type result struct {
			out string
			err error
		}
		tails := map[string]chan result{}
		for name, args := range map[string][]string{"all": {"tail", "-for", "10s"}, "stripe": {"tail", "-for", "10s", "-source", "stripe"}} {
			ch := make(chan result, 1)
			tails[name] = ch
			go func() { out, err := s.ctl(t, args...); ch <- result{out, err} }()
		}
		time.Sleep(2 * time.Second) // both tails have taken their first look
		for _, args := range [][]string{
			{"send", "-source", "seed", "-type", "order_created", "-id", "evt_tail"},
			{"send", "-source", "seed", "-type", "order_created", "-id", "evt_tail"},
			{"send", "-source", "seed", "-type", "order_created", "-forge"},
		} {
			s.ctl(t, args...)
		}
		all, stripe := <-tails["all"], <-tails["stripe"]
		if all.err != nil || stripe.err != nil {
			t.Fatalf("tail: %v %v\n%s", all.err, stripe.err, all.out)
		}
		for _, re := range []string{
			`accepted +seed:to-sink:evt_tail  order_created`,
			`delivered +seed:to-sink:evt_tail  destination answered 200 in [0-9.]+ms \(attempt 1\)`,
			`duplicate +seed  200 duplicate ×1`,
			`refused +seed  401 invalid_signature ×1`,
		} {
			if !regexp.MustCompile(re).MatchString(all.out) {
				t.Errorf("tail lacks %s:\n%s", re, all.out)
			}
		}
		if strings.Contains(stripe.out, "seed") && strings.Count(stripe.out, "\n") > 1 {
			t.Errorf("tail -source stripe shows seed traffic:\n%s", stripe.out)
		}
	})
	t.Run("SendNeedsOnlyItsSourcesSecret", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(binDir, "hookqctl"), "send", "-source", "seed", "-type", "user_registered")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOOKQ_CONFIG=" + config, "REDIS_URL=" + redisURL}
		cmd.Dir = t.TempDir() // no .data here: no demo secrets
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "source seed: set ${SEED_WEBHOOK_SECRET} to sign for it") {
			t.Errorf("send without the seed secret: %v\n%s", err, out)
		}
		cmd = exec.Command(filepath.Join(binDir, "hookqctl"), "stats")
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOOKQ_CONFIG=" + config, "REDIS_URL=" + redisURL}
		out, err = cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "warning") || strings.Contains(string(out), "not set") {
			t.Errorf("stats without secrets: %v\n%s", err, out)
		}
	})

	// Ctrl-C: SIGINT to the whole foreground process group.
	if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t, 60*time.Second); code != 0 {
		t.Errorf("exit status %d after Ctrl-C, want 0:\n%s", code, s.out)
	}
	out := s.out.String()
	if !strings.Contains(out, "hookq: stopped") {
		t.Errorf("no clean stop:\n%s", out)
	}
	for _, bad := range []string{"connection refused", "Failed to clear server state", `"level":"error"`, "did not stop", "stopped with status"} {
		if strings.Contains(out, bad) {
			t.Errorf("the logs show %q after Ctrl-C:\n%s", bad, out)
		}
	}
	if c, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(redisURL, "redis://"), "/0"), time.Second); err == nil {
		c.Close()
		t.Errorf("the stack's Redis still answers after Ctrl-C")
	}
}

func TestRunReportsAChildThatExits(t *testing.T) {
	config := stackConfig(t, t.TempDir(), "whsec_literal_for_this_test")
	s := startStack(t, config)
	s.waitUp(t)
	worker := s.pidOf(t, "worker", "-config", config)
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t, 60*time.Second); code == 0 {
		t.Errorf("exit status 0 after the worker died, want non-zero:\n%s", s.out)
	}
	out := s.out.String()
	for _, want := range []string{"hookq: worker exited with status 137 while the stack was running", "hookq: stopping the rest because worker exited"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
