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
	insp := asynq.NewInspectorFromRedisClient(c.redis.Client())
	l := newLoad(c.ingestURL, sent, 10)
	t.Logf("chaos %s: %d workers, %.0f events/s from %d senders, logs in %s", p.mode, p.workers, p.rate, p.senders, c.dir)

	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	wait := l.run(ctx, p.rate, p.senders)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			wait()
		}
	})

	var (
		workerKills, redisKills int
		chaosLog                []string
		redisBack               []time.Time // ingest ready again after a Redis restart
	)
	note := func(format string, args ...any) {
		s := fmt.Sprintf("%6.1fs ", time.Since(start).Seconds()) + fmt.Sprintf(format, args...)
		chaosLog = append(chaosLog, s)
		t.Log(s)
	}
	for _, a := range p.actions {
		time.Sleep(time.Until(start.Add(a.at)))
		if a.redis {
			c.redis.Kill()
			redisKills++
			note("kill -9 redis (acknowledged so far %d)", l.ackedCount())
			time.Sleep(a.pause)
			c.redis.Restart()
			note("redis restarted on the same data dir")
			t0 := time.Now()
			if !pollOK(c.ingestAdm+"/readyz", 20*time.Second) {
				t.Errorf("ingest /readyz not 200 within 20s of the Redis restart")
			}
			redisBack = append(redisBack, time.Now())
			note("ingest ready again after %v", time.Since(t0).Round(time.Millisecond))
			for i, w := range c.workerAdm {
				if !pollOK(w+"/readyz", 20*time.Second) {
					t.Errorf("worker%d /readyz not 200 within 20s of the Redis restart", i)
				}
			}
			note("workers ready again after %v", time.Since(t0).Round(time.Millisecond))
			continue
		}
		i := a.worker % len(c.workers)
		note("kill -9 worker%d (pid %d)", i, c.workers[i].cmd.Process.Pid)
		c.restartWorker(i, a.pause)
		workerKills++
		note("worker%d restarted and ready", i)
	}
	for {
		el := time.Since(start)
		if el >= p.maxSend || (el >= p.minSend && l.ackedCount() >= p.minAcked) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	cancel()
	wait() // retries in progress finish (bounded: 10 retries, < 12 s)
	stopped = true
	sendEnd := time.Now()
	sendTime := sendEnd.Sub(start)
	note("sending stopped: %d acknowledged", l.ackedCount())

	// Drain: every acknowledged event must reach the sink.
	acked := l.ackedSnapshot()
	var miss []string
	lastLog := time.Now()
	deadline := sendEnd.Add(p.drainTimeout)
	for {
		miss = missing(acked, c.sink.snapshot())
		if len(miss) == 0 || time.Now().After(deadline) {
			break
		}
		if time.Since(lastLog) >= 15*time.Second {
			note("draining: %d acknowledged events not delivered yet; queue %s", len(miss), queueState(insp))
			lastLog = time.Now()
		}
		time.Sleep(250 * time.Millisecond)
	}
	drainTime := time.Since(sendEnd)
	note("drain ended: %d missing after %v", len(miss), drainTime.Round(time.Millisecond))

	// Ingest kept working after each Redis restart.
	var backAcks []string
	for i, at := range redisBack {
		n := 0
		for _, a := range acked {
			if a.at.After(at) && a.at.Before(at.Add(5*time.Second)) {
				n++
			}
		}
		backAcks = append(backAcks, strconv.Itoa(n))
		if n == 0 {
			t.Errorf("Redis restart %d: ingest acknowledged nothing in the 5 s after it was ready again", i+1)
		}
	}

	got := c.sink.snapshot()
	dupEvents, maxOK, unackedDelivered := 0, 0, 0
	kinds := map[string]int{}
	for id, a := range acked {
		kinds[a.kind]++
		if r := got[id]; r.ok > 1 {
			dupEvents++
			if r.ok > maxOK {
				maxOK = r.ok
			}
		}
	}
	for id, r := range got {
		if _, ok := acked[id]; !ok && r.ok > 0 {
			unackedDelivered++
		}
	}
	l.mu.Lock()
	sentN := int(l.next.Load())
	requests, a503, terr, oerr, gaveUp, firstDup, lastErr := l.requests, l.answered503, l.transportErrs, l.otherErrs, l.gaveUp, len(l.firstDupIDs), l.lastErr
	firstDupIDs := append([]string(nil), l.firstDupIDs...)
	l.mu.Unlock()

	var b strings.Builder
	fmt.Fprintf(&b, "\n==== hookq chaos report (%s mode) ====\n", p.mode)
	fmt.Fprintf(&b, "setup                    %d workers x concurrency 8, Redis AOF appendfsync always, sink 10%% 500 / 5%% 2s slow, %.0f events/s offered by %d senders\n", p.workers, p.rate, p.senders)
	fmt.Fprintf(&b, "chaos                    %d worker kill -9, %d Redis kill -9\n", workerKills, redisKills)
	fmt.Fprintf(&b, "events sent              %d (%d HTTP requests)\n", sentN, requests)
	fmt.Fprintf(&b, "acknowledged             %d (accepted %d, accepted on a retry %d, duplicate on a retry %d)\n",
		len(acked), kinds["accepted"], kinds["accepted-after-retry"], kinds["duplicate-after-retry"])
	fmt.Fprintf(&b, "delivered at least once  %d\n", len(acked)-len(miss))
	fmt.Fprintf(&b, "LOST                     %d\n", len(miss))
	fmt.Fprintf(&b, "duplicate deliveries     %d events delivered more than once (max %d times)\n", dupEvents, maxOK)
	fmt.Fprintf(&b, "503s answered            %d\n", a503)
	fmt.Fprintf(&b, "other errors             transport %d, other statuses %d, gave up after retries %d, \"duplicate\" for a fresh id %d%s\n",
		terr, oerr, gaveUp, firstDup, lastErrNote(lastErr))
	fmt.Fprintf(&b, "unacknowledged, delivered %d (sent, never acknowledged, delivered anyway: allowed)\n", unackedDelivered)
	fmt.Fprintf(&b, "sink                     %d attempts, %d answered 500, %d slow, %d client gone, %d unknown ids, %d body mismatches\n",
		c.sink.attempts.Load(), c.sink.served500.Load(), c.sink.servedSlow.Load(), c.sink.clientGone.Load(), c.sink.unknownID.Load(), c.sink.badBody.Load())
	fmt.Fprintf(&b, "ingest after Redis back  %s acknowledged in the 5 s after each restart\n", strings.Join(backAcks, ", "))
	fmt.Fprintf(&b, "send phase               %v\n", sendTime.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "time to drain            %v\n", drainTime.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "queue at end             %s\n", queueState(insp))
	fmt.Fprintf(&b, "timeline\n  %s\n", strings.Join(chaosLog, "\n  "))
	t.Log(b.String())

	if len(miss) > 0 {
		var lines []string
		for i, id := range miss {
			if i == 10 {
				break
			}
			lines = append(lines, describeLost(c, insp, id, acked[id], got[id]))
		}
		t.Errorf("%d acknowledged events lost, e.g.:\n  %s", len(miss), strings.Join(lines, "\n  "))
	}
	if firstDup > 0 {
		sort.Strings(firstDupIDs)
		t.Errorf("ingest answered \"duplicate\" to %d never-sent ids, e.g. %v", firstDup, firstDupIDs[:min(5, len(firstDupIDs))])
	}
	if n := c.sink.unknownID.Load(); n > 0 {
		t.Errorf("sink got %d deliveries of ids never sent", n)
	}
	if n := c.sink.badBody.Load(); n > 0 {
		t.Errorf("sink got %d deliveries whose body differs from what was sent", n)
	}
	if len(acked) < p.requireAcked {
		t.Errorf("only %d acknowledged events, want >= %d", len(acked), p.requireAcked)
	}
	if p.mode == "long" && (workerKills < 2 || redisKills < 1) {
		t.Errorf("long mode needs >= 2 worker kills and >= 1 Redis kill, did %d and %d", workerKills, redisKills)
	}
	for _, e := range c.unexpectedExits() {
		t.Errorf("crash: %s", e)
	}
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
	n, err := c.redis.Client().Exists(context.Background(), queue.MarkKey(chaosSource, id)).Result()
	s += fmt.Sprintf("; dedupe mark exists=%d %s", n, errString(err))
	return s
}
