package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
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
	load := startSteadyLoad(s)
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
		return load.holds(func(results []answer) bool {
			return len(results) > 0 && results[len(results)-1].code == 200 && results[len(results)-1].at.After(killed.Add(promoted))
		})
	})
	after := 3 * time.Second
	if long {
		after = 60 * time.Second
	}
	time.Sleep(after)
	results := load.finish()

	acked := tallyOutage(t, results, "sentinel", promoted, "down-after 5s")
	if lost := awaitDelivered(t, s, results, killed, long); len(lost) > 0 {
		t.Logf("lost or never recovered (acknowledged before the kill): %v", lost[:min(len(lost), 10)])
		if ack > 0 {
			t.Errorf("%d events acknowledged with ack_replicas=%d were lost", len(lost), ack)
		}
	}
	logDuplicates(t, s, acked)
}
