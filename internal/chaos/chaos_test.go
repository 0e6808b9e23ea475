package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

var longFlag = flag.Bool("chaos.long", false, "run the long chaos scenario (also env HOOKQ_CHAOS=long)")

// plan is one chaos scenario.
type plan struct {
	mode         string
	workers      int
	rate         float64 // events per second offered
	senders      int
	minSend      time.Duration // send at least this long…
	minAcked     int           // …and until this many are acknowledged…
	maxSend      time.Duration // …but never longer than this
	requireAcked int           // fewer acknowledged events fails the run
	drainTimeout time.Duration // after sending stops
	actions      []action
}

type action struct {
	at     time.Duration // after sending starts
	redis  bool          // kill -9 Redis; else kill -9 worker
	worker int
	pause  time.Duration // down time before the restart
}

func choosePlan(t *testing.T) plan {
	p := plan{ // short: for make test
		mode: "short", workers: 3, rate: 60, senders: 16,
		minSend: 20 * time.Second, minAcked: 0, maxSend: 20 * time.Second, requireAcked: 500,
		// Asynq re-runs a killed worker's tasks only once their lease has
		// expired and the recoverer ran: up to ~170 s after the kill.
		drainTimeout: 200 * time.Second,
		actions: []action{
			{at: 2 * time.Second, worker: 0, pause: time.Second},
			{at: 9 * time.Second, redis: true, pause: 2 * time.Second},
		},
	}
	if *longFlag || os.Getenv("HOOKQ_CHAOS") == "long" {
		p = plan{
			mode: "long", workers: 3, rate: 140, senders: 32,
			minSend: 80 * time.Second, minAcked: 10500, maxSend: 180 * time.Second, requireAcked: 10000,
			drainTimeout: 240 * time.Second,
			actions: []action{
				{at: 8 * time.Second, worker: 0, pause: time.Second},
				{at: 25 * time.Second, redis: true, pause: 3 * time.Second},
				{at: 40 * time.Second, worker: 1, pause: 2 * time.Second},
				{at: 55 * time.Second, worker: 2, pause: time.Second},
				{at: 68 * time.Second, redis: true, pause: 2 * time.Second},
			},
		}
	}
	if v := os.Getenv("HOOKQ_CHAOS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 16 {
			t.Fatalf("HOOKQ_CHAOS_WORKERS=%q: want 1..16", v)
		}
		p.workers = n
	}
	if v := os.Getenv("HOOKQ_CHAOS_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 2000 {
			t.Fatalf("HOOKQ_CHAOS_RATE=%q: want 0 < rate <= 2000", v)
		}
		p.rate = r
	}
	return p
}

// TestChaos is issue 4: kill -9 workers and Redis while signed webhooks
// flow; every event ingest acknowledged must reach the sink at least once.
func TestChaos(t *testing.T) {
	p := choosePlan(t)
	sent := &sync.Map{}
	c := startCluster(t, clusterOpts{workers: p.workers, concurrency: 8, failRate: 0.10, slowRate: 0.05, slow: 2 * time.Second}, sent)
	r := &chaosRun{p: p, c: c, l: newLoad(c.ingestURL, sent, 10), insp: asynq.NewInspectorFromRedisClient(c.redis.Client())}
	t.Logf("chaos %s: %d workers, %.0f events/s from %d senders, logs in %s", p.mode, p.workers, p.rate, p.senders, c.dir)

	// Sending and killing run in the test itself: the cluster's restarts
	// belong to it, not to a subtest that would end them with its cleanup.
	r.send(t)
	t.Run("EveryAcknowledgedEventDelivered", r.drain)
	t.Run("IngestAcceptsAfterRedisRestart", r.ingestBack)
	t.Log(r.report())
	t.Run("NoForeignOrAlteredEvents", func(t *testing.T) {
		if len(r.firstDupIDs) > 0 {
			sort.Strings(r.firstDupIDs)
			t.Errorf("ingest answered \"duplicate\" to %d never-sent ids, e.g. %v", len(r.firstDupIDs), r.firstDupIDs[:min(5, len(r.firstDupIDs))])
		}
		if n := c.sink.unknownID.Load(); n > 0 {
			t.Errorf("sink got %d deliveries of ids never sent", n)
		}
		if n := c.sink.badBody.Load(); n > 0 {
			t.Errorf("sink got %d deliveries whose body differs from what was sent", n)
		}
	})
	t.Run("EnoughLoadAndKills", func(t *testing.T) {
		if len(r.acked) < p.requireAcked {
			t.Errorf("only %d acknowledged events, want >= %d", len(r.acked), p.requireAcked)
		}
		if p.mode == "long" && (r.workerKills < 2 || r.redisKills < 1) {
			t.Errorf("long mode needs >= 2 worker kills and >= 1 Redis kill, did %d and %d", r.workerKills, r.redisKills)
		}
	})
	t.Run("NoUnexpectedExits", func(t *testing.T) {
		for _, e := range c.unexpectedExits() {
			t.Errorf("crash: %s", e)
		}
	})
}

// chaosRun is one TestChaos scenario's state, carried from phase to phase.
type chaosRun struct {
	p    plan
	c    *cluster
	l    *load
	insp *asynq.Inspector

	start, sendEnd          time.Time
	workerKills, redisKills int
	timeline                []string
	redisBack               []time.Time // ingest ready again after a Redis restart
	backAcks                []string    // acknowledged in the 5 s after each of redisBack
	acked                   map[string]ack
	miss                    []string // acknowledged, never delivered
	drainTime               time.Duration
	firstDupIDs             []string
}

func (r *chaosRun) note(t *testing.T, format string, args ...any) {
	s := fmt.Sprintf("%6.1fs ", time.Since(r.start).Seconds()) + fmt.Sprintf(format, args...)
	r.timeline = append(r.timeline, s)
	t.Log(s)
}

// send offers load while the plan's kills happen, until the plan says stop,
// and waits for the senders' retries.
func (r *chaosRun) send(t *testing.T) {
	c, l, p := r.c, r.l, r.p
	ctx, cancel := context.WithCancel(context.Background())
	r.start = time.Now()
	wait := l.run(ctx, p.rate, p.senders)
	defer func() {
		cancel()
		wait() // retries in progress finish (bounded: 10 retries, < 12 s)
		r.sendEnd = time.Now()
		r.note(t, "sending stopped: %d acknowledged", l.ackedCount())
	}()
	for _, a := range p.actions {
		time.Sleep(time.Until(r.start.Add(a.at)))
		if a.redis {
			r.killRedis(t, a.pause)
			continue
		}
		i := a.worker % len(c.workers)
		r.note(t, "kill -9 worker%d (pid %d)", i, c.workers[i].cmd.Process.Pid)
		c.restartWorker(i, a.pause)
		r.workerKills++
		r.note(t, "worker%d restarted and ready", i)
	}
	for {
		el := time.Since(r.start)
		if el >= p.maxSend || (el >= p.minSend && l.ackedCount() >= p.minAcked) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// killRedis kill -9s Redis, restarts it on the same data after pause, and
// waits for ingest and every worker to be ready again.
func (r *chaosRun) killRedis(t *testing.T, pause time.Duration) {
	c := r.c
	c.redis.Kill()
	r.redisKills++
	r.note(t, "kill -9 redis (acknowledged so far %d)", r.l.ackedCount())
	time.Sleep(pause)
	c.redis.Restart()
	r.note(t, "redis restarted on the same data dir")
	t0 := time.Now()
	if !pollOK(c.ingestAdm+"/readyz", 20*time.Second) {
		t.Errorf("ingest /readyz not 200 within 20s of the Redis restart")
	}
	r.redisBack = append(r.redisBack, time.Now())
	r.note(t, "ingest ready again after %v", time.Since(t0).Round(time.Millisecond))
	for i, w := range c.workerAdm {
		if !pollOK(w+"/readyz", 20*time.Second) {
			t.Errorf("worker%d /readyz not 200 within 20s of the Redis restart", i)
		}
	}
	r.note(t, "workers ready again after %v", time.Since(t0).Round(time.Millisecond))
}

// drain waits, up to the plan's drain timeout, for every acknowledged event
// to reach the sink.
func (r *chaosRun) drain(t *testing.T) {
	r.acked = r.l.ackedSnapshot()
	lastLog := time.Now()
	deadline := r.sendEnd.Add(r.p.drainTimeout)
	for {
		r.miss = missing(r.acked, r.c.sink.snapshot())
		if len(r.miss) == 0 || time.Now().After(deadline) {
			break
		}
		if time.Since(lastLog) >= 15*time.Second {
			r.note(t, "draining: %d acknowledged events not delivered yet; queue %s", len(r.miss), queueState(r.insp))
			lastLog = time.Now()
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.drainTime = time.Since(r.sendEnd)
	r.note(t, "drain ended: %d missing after %v", len(r.miss), r.drainTime.Round(time.Millisecond))
	if len(r.miss) > 0 {
		got := r.c.sink.snapshot()
		var lines []string
		for _, id := range r.miss[:min(10, len(r.miss))] {
			lines = append(lines, describeLost(r.c, r.insp, id, r.acked[id], got[id]))
		}
		t.Errorf("%d acknowledged events lost, e.g.:\n  %s", len(r.miss), strings.Join(lines, "\n  "))
	}
}

// ingestBack checks that ingest acknowledged events soon after each Redis
// restart.
func (r *chaosRun) ingestBack(t *testing.T) {
	for i, at := range r.redisBack {
		n := 0
		for _, a := range r.acked {
			if a.at.After(at) && a.at.Before(at.Add(5*time.Second)) {
				n++
			}
		}
		r.backAcks = append(r.backAcks, strconv.Itoa(n))
		if n == 0 {
			t.Errorf("Redis restart %d: ingest acknowledged nothing in the 5 s after it was ready again", i+1)
		}
	}
}

// report is the run's figures, for the test log.
func (r *chaosRun) report() string {
	c, l, p, acked := r.c, r.l, r.p, r.acked
	got := c.sink.snapshot()
	dupEvents, maxOK, unackedDelivered := 0, 0, 0
	kinds := map[string]int{}
	for id, a := range acked {
		kinds[a.kind]++
		if r := got[id]; r.ok > 1 {
			dupEvents++
			maxOK = max(maxOK, r.ok)
		}
	}
	for id, rec := range got {
		if _, ok := acked[id]; !ok && rec.ok > 0 {
			unackedDelivered++
		}
	}
	l.mu.Lock()
	sentN := int(l.next.Load())
	requests, a503, terr, oerr, gaveUp, lastErr := l.requests, l.answered503, l.transportErrs, l.otherErrs, l.gaveUp, l.lastErr
	r.firstDupIDs = append([]string(nil), l.firstDupIDs...)
	l.mu.Unlock()

	var b strings.Builder
	fmt.Fprintf(&b, "\n==== hookq chaos report (%s mode) ====\n", p.mode)
	fmt.Fprintf(&b, "setup                    %d workers x concurrency 8, Redis AOF appendfsync always, sink 10%% 500 / 5%% 2s slow, %.0f events/s offered by %d senders\n", p.workers, p.rate, p.senders)
	fmt.Fprintf(&b, "chaos                    %d worker kill -9, %d Redis kill -9\n", r.workerKills, r.redisKills)
	fmt.Fprintf(&b, "events sent              %d (%d HTTP requests)\n", sentN, requests)
	fmt.Fprintf(&b, "acknowledged             %d (accepted %d, accepted on a retry %d, duplicate on a retry %d)\n",
		len(acked), kinds["accepted"], kinds["accepted-after-retry"], kinds["duplicate-after-retry"])
	fmt.Fprintf(&b, "delivered at least once  %d\n", len(acked)-len(r.miss))
	fmt.Fprintf(&b, "LOST                     %d\n", len(r.miss))
	fmt.Fprintf(&b, "duplicate deliveries     %d events delivered more than once (max %d times)\n", dupEvents, maxOK)
	fmt.Fprintf(&b, "503s answered            %d\n", a503)
	fmt.Fprintf(&b, "other errors             transport %d, other statuses %d, gave up after retries %d, \"duplicate\" for a fresh id %d%s\n",
		terr, oerr, gaveUp, len(r.firstDupIDs), lastErrNote(lastErr))
	fmt.Fprintf(&b, "unacknowledged, delivered %d (sent, never acknowledged, delivered anyway: allowed)\n", unackedDelivered)
	fmt.Fprintf(&b, "sink                     %d attempts, %d answered 500, %d slow, %d client gone, %d unknown ids, %d body mismatches\n",
		c.sink.attempts.Load(), c.sink.served500.Load(), c.sink.servedSlow.Load(), c.sink.clientGone.Load(), c.sink.unknownID.Load(), c.sink.badBody.Load())
	fmt.Fprintf(&b, "ingest after Redis back  %s acknowledged in the 5 s after each restart\n", strings.Join(r.backAcks, ", "))
	fmt.Fprintf(&b, "send phase               %v\n", r.sendEnd.Sub(r.start).Round(100*time.Millisecond))
	fmt.Fprintf(&b, "time to drain            %v\n", r.drainTime.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "queue at end             %s\n", queueState(r.insp))
	fmt.Fprintf(&b, "timeline\n  %s\n", strings.Join(r.timeline, "\n  "))
	return b.String()
}

func lastErrNote(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return " (last: " + s + ")"
}

func queueState(insp *asynq.Inspector) string {
	q, err := insp.GetQueueInfo(queue.Queue)
	if err != nil {
		return "unknown: " + err.Error()
	}
	return fmt.Sprintf("pending %d, active %d, scheduled %d, retry %d, archived %d", q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived)
}

// describeLost says what Redis knows about a lost event.
func describeLost(c *cluster, insp *asynq.Inspector, id string, a ack, r sinkRec) string {
	s := fmt.Sprintf("%s: acknowledged (%s, try %d) at %s, sink attempts %d", id, a.kind, a.tries, a.at.Format("15:04:05.000"), r.attempts)
	if info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID(chaosSource, chaosRoute, id)); err != nil {
		s += "; task: " + err.Error()
	} else {
		s += fmt.Sprintf("; task state %s, retried %d/%d, last error %q", info.State, info.Retried, info.MaxRetry, info.LastErr)
	}
	n, err := queue.Marked(context.Background(), c.redis.Client(), chaosSource, id, 72*time.Hour)
	s += fmt.Sprintf("; dedupe mark exists=%v %s", n, errString(err))
	return s
}
