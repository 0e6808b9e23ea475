package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
)

// TestSentinelFailover runs ingest and a worker on redis-sentinel://, sends
// signed events steadily, kill -9s the master and measures how long ingest
// answers anything but 200 until Sentinel (down-after 5 s) has promoted the
// replica. Neither hookq process is restarted. HOOKQ_FAILOVER=long (make
// failover) sends for longer and waits for every acknowledged event.
//
// "async": one replica, acknowledgement once the master has the event.
// "ack_replicas=1": two replicas (one is left after the failover), and
// ingest answers 200 only once a replica holds the event: none may be lost.
func TestSentinelFailover(t *testing.T) {
	t.Run("async", func(t *testing.T) { sentinelFailover(t, 1, 0) })
	t.Run("ack_replicas=1", func(t *testing.T) { sentinelFailover(t, 2, 1) })
}

func sentinelFailover(t *testing.T, replicas, ack int) {
	long := os.Getenv("HOOKQ_FAILOVER") == "long"
	set := redistest.StartSentinel(t, 5*time.Second, replicas)
	s := startStack(t, stackOpts{redisURL: set.URL(), backoff: "200ms", maxRetries: 20, ackReplica: ack})
	if ack > 0 {
		eventually(t, 5*time.Second, "ingest turning on ack_replicas", func() bool { return strings.Contains(s.ingest.Log(), "answers wait for replicas") })
	}

	// Everything works through the Sentinels before the failover: ingest,
	// the worker's business handlers and forward, the dashboard, and the
	// client hookqctl builds (app.Redis).
	if code, body, _ := s.post("seed", seedBody("evt_before", "payment_success", `{"payment_id":"p1","amount":5}`), seedSecret); code != 200 {
		t.Fatalf("before failover: %d %s", code, body)
	}
	eventually(t, 15*time.Second, "evt_before delivered", func() bool { return len(s.sink.deliveries("evt_before")) > 0 })
	req, _ := http.NewRequest(http.MethodGet, s.ingestAdm+"/monitoring/api/queues", nil)
	req.SetBasicAuth("ops", "dash-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), queue.Queue) {
		t.Fatalf("dashboard over Sentinel: %d %s", resp.StatusCode, b)
	}
	rdb, _, err := app.Redis(set.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(queue.Queue); err != nil {
		t.Fatalf("inspector over Sentinel: %v", err)
	}

	// Steady signed load: one event every 20 ms from each of 4 senders.
	type result struct {
		id   string
		at   time.Time
		code int
	}
	var (
		mu      sync.Mutex
		results []result
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				id := fmt.Sprintf("evt_%d_%d", g, i)
				code, _, _ := s.post("seed", seedBody(id, "test.failover", `{}`), seedSecret)
				mu.Lock()
				results = append(results, result{id, time.Now(), code})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	old := set.Master.Addr()
	killed := time.Now()
	set.Master.Kill()
	t.Logf("kill -9 master %s", old)

	// Recovered: the Sentinels name a new master and ingest answers 200 again.
	eventually(t, 30*time.Second, "a new master", func() bool {
		a, err := set.MasterAddr(context.Background())
		return err == nil && a != old
	})
	promoted := time.Since(killed)
	eventually(t, 30*time.Second, "ingest answering 200 again", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(results) > 0 && results[len(results)-1].code == 200 && results[len(results)-1].at.After(killed.Add(promoted))
	})
	after := 3 * time.Second
	if long {
		after = 60 * time.Second
	}
	time.Sleep(after)
	close(stop)
	wg.Wait()

	var acked []string
	var firstBad, lastBad time.Time
	bad := 0
	for _, r := range results {
		if r.code == 200 {
			acked = append(acked, r.id)
			continue
		}
		if r.code != 503 {
			t.Errorf("%s: status %d during failover, want 200 or 503", r.id, r.code)
		}
		bad++
		if firstBad.IsZero() {
			firstBad = r.at
		}
		lastBad = r.at
	}
	outage := lastBad.Sub(firstBad)
	t.Logf("failover: sentinel promoted the replica %.1fs after the kill; ingest answered 503 to %d of %d requests over %.1fs; %d acknowledged",
		promoted.Seconds(), bad, len(results), outage.Seconds(), len(acked))
	if outage > 10*time.Second {
		t.Errorf("outage %.1fs, want <= 10s with down-after 5s", outage.Seconds())
	}

	// The worker recovered without a restart: every event acknowledged after
	// the failover is delivered. Events acknowledged just before the kill
	// can be gone (replication is asynchronous) or wait for Asynq's lease
	// recovery (an attempt in flight on the dead master); they are counted.
	wait := 20 * time.Second
	if long {
		wait = 4 * time.Minute
	}
	missing := func() (before, after []string) {
		for _, r := range results {
			if r.code == 200 && len(s.sink.deliveries(r.id)) == 0 {
				if r.at.Before(killed) {
					before = append(before, r.id)
				} else {
					after = append(after, r.id)
				}
			}
		}
		return
	}
	deadline := time.Now().Add(wait)
	for {
		b, a := missing()
		if (len(a) == 0 && !long) || len(a)+len(b) == 0 || time.Now().After(deadline) {
			t.Logf("acknowledged but not delivered after %v: %d sent before the kill, %d after", wait, len(b), len(a))
			if len(a) > 0 {
				t.Errorf("events acknowledged after the failover never delivered: %v", a[:min(len(a), 10)])
			}
			if long && len(b) > 0 {
				t.Logf("lost or never recovered (acknowledged before the kill): %v", b[:min(len(b), 10)])
				if ack > 0 {
					t.Errorf("%d events acknowledged with ack_replicas=%d were lost", len(b), ack)
				}
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	dups := 0
	for _, id := range acked {
		if n := len(s.sink.deliveries(id)); n > 1 {
			dups++
		}
	}
	t.Logf("duplicate deliveries: %d", dups)
}
