package spool_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/spool"
	"github.com/hookq/hookq/internal/webhook"
)

var routes = []webhook.Task{{Route: "app", MaxRetry: 3, Timeout: 15 * time.Second}}

func event(id string) *webhook.Event {
	return &webhook.Event{Source: "stripe", ID: id, Type: "payment_intent.succeeded",
		Body:        []byte(`{"id":"` + id + `","type":"payment_intent.succeeded"}`),
		ContentType: "application/json", ReceivedAt: time.Now().UTC(), VerifiedBy: "stripe"}
}

// client is configured like the ingest's: every call bounded by its context.
func client(tb testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	tb.Cleanup(func() { c.Close() })
	return c
}

// deadAddr is a local port nothing listens on: Redis unreachable.
func deadAddr(tb testing.TB) string { return "127.0.0.1:" + strconv.Itoa(redistest.FreePort(tb)) }

type counts struct {
	mu      sync.Mutex
	spooled int
	refused int
	drained map[string]int
}

func (c *counts) Spooled() { c.mu.Lock(); c.spooled++; c.mu.Unlock() }
func (c *counts) Refused() { c.mu.Lock(); c.refused++; c.mu.Unlock() }
func (c *counts) Drained(r string) {
	c.mu.Lock()
	if c.drained == nil {
		c.drained = map[string]int{}
	}
	c.drained[r]++
	c.mu.Unlock()
}
func (c *counts) get(r string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.drained[r] }

func open(tb testing.TB, log *zap.Logger, inner spool.Enqueuer, dir string, m spool.Metrics, maxBytes int64) *spool.Spool {
	tb.Helper()
	s, err := spool.Open(log, inner, spool.Options{Dir: dir, MaxBytes: maxBytes, RedisTimeout: 300 * time.Millisecond, Metrics: m})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func waitEmpty(tb testing.TB, s *spool.Spool, within time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	for s.Stats().Records > 0 {
		if time.Since(start) > within {
			tb.Fatalf("spool not drained within %v: %+v", within, s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// pendingIDs lists the task ids in Asynq's pending list, with repeats: a
// task written twice would show twice.
func pendingIDs(tb testing.TB, rdb *redis.Client) map[string]int {
	tb.Helper()
	ids, err := rdb.LRange(context.Background(), "asynq:{"+queue.Queue+"}:pending", 0, -1).Result()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int{}
	for _, id := range ids {
		out[id]++
	}
	return out
}

// Redis killed or frozen: every event is acknowledged from the spool, and
// once Redis is back each is in Redis exactly once, including those whose
// timed-out first attempt ran after all (the frozen Redis runs them when it
// wakes up).
func TestSpoolWhileRedisDown(t *testing.T) {
	for _, mode := range []string{"Killed", "Stopped"} {
		t.Run(mode, func(t *testing.T) {
			srv := redistest.Start(t, redistest.WithAOF())
			m := &counts{}
			s := open(t, zap.NewNop(), queue.NewEnqueuer(client(t, srv.Addr())), t.TempDir(), m, 0)
			ctx := context.Background()
			enq := func(id string) (bool, bool, error) {
				ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				return s.EnqueueOrSpool(ctx, event(id), time.Hour, routes, nil)
			}
			if dup, sp, err := enq("evt_before"); dup || sp || err != nil {
				t.Fatalf("Redis up: dup=%v spooled=%v err=%v", dup, sp, err)
			}
			if mode == "Killed" {
				srv.Kill()
			} else {
				srv.Stop()
			}
			const n = 60
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					dup, sp, err := enq(fmt.Sprintf("evt_%d", i))
					if err != nil || dup || !sp {
						errs <- fmt.Errorf("evt_%d: dup=%v spooled=%v err=%v", i, dup, sp, err)
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if st := s.Stats(); st.Records != n || st.Bytes <= 0 || st.Oldest.IsZero() {
				t.Fatalf("stats while down = %+v, want %d records", st, n)
			}
			if mode == "Killed" {
				srv.Restart()
			} else {
				srv.Cont()
			}
			t.Logf("drained %d records in %v", n, waitEmpty(t, s, 15*time.Second))
			got := pendingIDs(t, srv.Client())
			if len(got) != n+1 {
				t.Errorf("pending tasks = %d distinct, want %d", len(got), n+1)
			}
			for i := -1; i < n; i++ {
				id := "evt_before"
				if i >= 0 {
					id = fmt.Sprintf("evt_%d", i)
				}
				if c := got[webhook.TaskID("stripe", "app", id)]; c != 1 {
					t.Errorf("%s: task in the pending list %d times, want 1", id, c)
				}
			}
			if a, d := m.get("accepted"), m.get("duplicate"); a != n || d != 0 || m.spooled != n {
				t.Errorf("metrics: spooled %d, drained accepted %d duplicate %d; want %d, %d, 0", m.spooled, a, d, n, n)
			}
			if st := s.Stats(); st.Bytes != 0 || !st.Oldest.IsZero() {
				t.Errorf("stats after drain = %+v", st)
			}
			// Redis is back: live events go straight to it again.
			if _, sp, err := enq("evt_after"); sp || err != nil {
				t.Fatalf("after drain: spooled=%v err=%v", sp, err)
			}
		})
	}
}

// flaky runs the real enqueue (or not) and then reports Redis unavailable,
// as a timeout whose command did or did not reach Redis would.
type flaky struct {
	q       *queue.Enqueuer
	mu      sync.Mutex
	calls   int
	failFor int                                          // fail this many first calls
	before  func(ctx context.Context, ev *webhook.Event) // runs on a failing call
}

func (f *flaky) Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, h map[string]string) (bool, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.failFor
	f.mu.Unlock()
	if !fail {
		return f.q.Enqueue(ctx, ev, ttl, tasks, h)
	}
	f.before(ctx, ev)
	return false, fmt.Errorf("enqueue: %w: i/o timeout", webhook.ErrQueueUnavailable)
}

// The ambiguous timeout: the first attempt ran in Redis but its answer was
// lost, so the event was spooled. The drain must resolve it as that same
// acceptance (one task), not as lost and not as a second event; a provider
// retry accepted meanwhile resolves as a duplicate.
func TestDrainResolvesAmbiguousAttempts(t *testing.T) {
	for _, c := range []struct {
		name   string
		before func(q *queue.Enqueuer) func(ctx context.Context, ev *webhook.Event)
		want   string
	}{
		{"AttemptRanAfterAll", func(q *queue.Enqueuer) func(context.Context, *webhook.Event) {
			return func(ctx context.Context, ev *webhook.Event) { q.Enqueue(ctx, ev, time.Hour, routes, nil) } // same nonce (ctx)
		}, "accepted"},
		{"RetryAcceptedMeanwhile", func(q *queue.Enqueuer) func(context.Context, *webhook.Event) {
			return func(_ context.Context, ev *webhook.Event) {
				q.Enqueue(context.Background(), ev, time.Hour, routes, nil)
			} // its own nonce
		}, "duplicate"},
		{"AttemptNeverRan", func(*queue.Enqueuer) func(context.Context, *webhook.Event) {
			return func(context.Context, *webhook.Event) {}
		}, "accepted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := redistest.Start(t)
			rdb := srv.Client()
			q := queue.NewEnqueuer(rdb)
			m := &counts{}
			s := open(t, zap.NewNop(), &flaky{q: q, failFor: 1, before: c.before(q)}, t.TempDir(), m, 0)
			_, sp, err := s.EnqueueOrSpool(context.Background(), event("evt_amb"), time.Hour, routes, nil)
			if !sp || err != nil {
				t.Fatalf("spooled=%v err=%v", sp, err)
			}
			waitEmpty(t, s, 5*time.Second)
			if got := m.get(c.want); got != 1 {
				t.Errorf("drained %v, want one %q", m.drained, c.want)
			}
			if got := pendingIDs(t, rdb); len(got) != 1 || got[webhook.TaskID("stripe", "app", "evt_amb")] != 1 {
				t.Errorf("pending = %v, want the one task once", got)
			}
		})
	}
}

// A record damaged on disk is detected by its checksum, logged and moved
// aside; the records around it drain.
func TestCorruptRecordSkipped(t *testing.T) {
	dir := t.TempDir()
	s := open(t, zap.NewNop(), queue.NewEnqueuer(client(t, deadAddr(t))), dir, nil, 0)
	for _, id := range []string{"evt_A", "evt_B", "evt_C"} {
		if _, sp, err := s.EnqueueOrSpool(context.Background(), event(id+"-MARK"), time.Hour, routes, nil); !sp || err != nil {
			t.Fatalf("%s: spooled=%v err=%v", id, sp, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "spool.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Every copy, live page or freed one, so the live one is hit.
	n := bytes.Count(b, []byte("evt_B-MARK"))
	b = bytes.ReplaceAll(b, []byte("evt_B-MARK"), []byte("evt_B-MARX"))
	if n == 0 || os.WriteFile(path, b, 0o600) != nil {
		t.Fatalf("could not damage the record (%d copies)", n)
	}

	srv := redistest.Start(t)
	core, logs := observer.New(zap.ErrorLevel)
	m := &counts{}
	s = open(t, zap.New(core), queue.NewEnqueuer(srv.Client()), dir, m, 0)
	waitEmpty(t, s, 5*time.Second)
	if m.get("accepted") != 2 || m.get("corrupt") != 1 {
		t.Fatalf("drained %v, want 2 accepted and 1 corrupt", m.drained)
	}
	got := pendingIDs(t, srv.Client())
	if got[webhook.TaskID("stripe", "app", "evt_A-MARK")] != 1 || got[webhook.TaskID("stripe", "app", "evt_C-MARK")] != 1 || len(got) != 2 {
		t.Fatalf("pending = %v", got)
	}
	if e := logs.FilterMessageSnippet("unreadable").All(); len(e) != 1 {
		t.Fatalf("log lines about the damaged record: %v", logs.All())
	}
}

// Full spool: the event is refused with the queue error (503), not lost.
func TestFullSpoolRefuses(t *testing.T) {
	m := &counts{}
	s := open(t, zap.NewNop(), queue.NewEnqueuer(client(t, deadAddr(t))), t.TempDir(), m, 600)
	var refused error
	for i := 0; i < 20 && refused == nil; i++ {
		_, sp, err := s.EnqueueOrSpool(context.Background(), event(fmt.Sprintf("evt_%d", i)), time.Hour, routes, nil)
		if err != nil {
			if sp {
				t.Fatal("spooled and failed")
			}
			refused = err
		}
	}
	if !errors.Is(refused, webhook.ErrQueueUnavailable) || m.refused != 1 || s.Accepting() {
		t.Fatalf("refusal = %v (refused %d, accepting %v), want a queue_unavailable error", refused, m.refused, s.Accepting())
	}
	if st := s.Stats(); st.Bytes > st.MaxBytes || st.Records != m.spooled {
		t.Fatalf("stats %+v, spooled %d", st, m.spooled)
	}
}

// kill -9 of a process appending to the spool from many goroutines: every
// event it acknowledged (printed after EnqueueOrSpool returned) drains into
// Redis after a restart, and no record is damaged.
func TestKill9WhileAppending(t *testing.T) {
	if dir := os.Getenv("HOOKQ_SPOOL_CHILD"); dir != "" {
		appendForever(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9WhileAppending$")
	cmd.Env = append(os.Environ(), "HOOKQ_SPOOL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	killAt := time.After(3 * time.Second)
	killed := false
	for l := range lines {
		if len(l) > 4 && l[:4] == "ack " {
			acked[l[4:]] = true
		}
		if !killed && len(acked) >= 1 {
			select {
			case <-killAt:
			default:
				if len(acked) < 400 {
					continue
				}
			}
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	cmd.Wait()
	if !killed || len(acked) == 0 {
		t.Fatalf("child acknowledged %d events before the kill (killed %v)", len(acked), killed)
	}

	srv := redistest.Start(t)
	m := &counts{}
	s := open(t, zap.NewNop(), queue.NewEnqueuer(srv.Client()), dir, m, 0)
	before := s.Stats().Records
	waitEmpty(t, s, 20*time.Second)
	got := pendingIDs(t, srv.Client())
	lost := 0
	for id := range acked {
		if got[webhook.TaskID("stripe", "app", id)] != 1 {
			lost++
		}
	}
	t.Logf("child acknowledged %d events before kill -9; %d records on disk; drained accepted %d, corrupt %d; lost %d",
		len(acked), before, m.get("accepted"), m.get("corrupt"), lost)
	if lost > 0 || m.get("corrupt") > 0 || before < len(acked) {
		t.Fatalf("lost %d acknowledged events, %d corrupt records", lost, m.get("corrupt"))
	}
}

// appendForever is the child of TestKill9WhileAppending: Redis unreachable,
// 16 goroutines spooling until killed.
func appendForever(dir string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(2)
	}
	addr := l.Addr().String()
	l.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	s, err := spool.Open(zap.NewNop(), queue.NewEnqueuer(c), spool.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	for g := 0; g < 16; g++ {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("evt_%d_%d", g, i)
				if _, sp, err := s.EnqueueOrSpool(context.Background(), event(id), time.Hour, routes, nil); sp && err == nil {
					mu.Lock()
					fmt.Fprintln(w, "ack "+id)
					w.Flush()
					mu.Unlock()
				}
			}
		}()
	}
	select {}
}
