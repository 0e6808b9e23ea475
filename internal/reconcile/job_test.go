package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap/zaptest"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/reconcile"
)

// TestScheduleOncePerInterval: two workers, each with its own Scheduler
// and Asynq server, run one reconciliation per interval between them.
func TestScheduleOncePerInterval(t *testing.T) {
	fs := &fakeStripe{key: stripeKey, pageSize: 100} // an empty history: one request per run
	rdb, cfg := startStripe(t, fs)
	log := zaptest.NewLogger(t)
	ps, err := app.Reconcilers(cfg, rdb, log)
	if err != nil {
		t.Fatal(err)
	}
	var runs []reconcile.Periodic
	for _, p := range ps {
		if p.R.Source() == "stripe" {
			runs = append(runs, reconcile.Periodic{R: p.R, Interval: 2 * time.Second})
		}
	}
	unexpected := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return errors.New("unexpected task") })
	for range 2 {
		job := reconcile.NewJob(runs, rdb, log, nil)
		w := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{queue.Queue: 1}, Concurrency: 2,
			TaskCheckInterval: 100 * time.Millisecond, LogLevel: asynq.WarnLevel, Logger: obs.AsynqLogger{S: log.Sugar()}})
		if err := w.Start(job.Wrap(unexpected)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Shutdown)
		stop, err := job.Schedule(rdb, queue.Queue, obs.AsynqLogger{S: log.Sugar()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	time.Sleep(7 * time.Second)
	fs.mu.Lock()
	times := fs.times
	fs.mu.Unlock()
	t.Logf("%d runs in 7 s", len(times))
	// Ticks at about 2, 4 and 6 s; unguarded, two schedulers would run 6 times.
	if len(times) < 2 || len(times) > 4 {
		t.Fatalf("%d runs in 7 s at a 2 s interval with two schedulers, want 2 to 4", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 1500*time.Millisecond {
			t.Errorf("runs %d and %d only %v apart", i-1, i, gap)
		}
	}
}

// TestRateLimited: GitHub's exhausted primary limit (403, remaining 0) is
// waited out until its reset; a wait past MaxWait returns the refusal.
func TestRateLimited(t *testing.T) {
	calls := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer s.Close()
	c := &http.Client{Transport: reconcile.RateLimited(nil, reconcile.RateLimit{})}
	start := time.Now()
	resp, err := c.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || calls != 2 || time.Since(start) < time.Second {
		t.Fatalf("status %d after %d calls in %v", resp.StatusCode, calls, time.Since(start))
	}

	t.Run("ErrTooLong", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
		defer s.Close()
		c := &http.Client{Transport: reconcile.RateLimited(nil, reconcile.RateLimit{MaxWait: time.Minute})}
		start := time.Now()
		resp, err := c.Get(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || time.Since(start) > 5*time.Second {
			t.Fatalf("status %d after %v", resp.StatusCode, time.Since(start))
		}
	})
}
