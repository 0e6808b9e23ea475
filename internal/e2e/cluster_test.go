package e2e

import (
	"context"
	"fmt"
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

// TestCluster runs ingest and a worker on redis-cluster:// with three
// shards: signed events are delivered exactly once, duplicates are
// refused, every shard gets traffic, and the dashboard and the client
// hookqctl builds see the shards.
func TestCluster(t *testing.T) {
	c := redistest.StartCluster(t, 0)
	s := startStack(t, stackOpts{redisURL: c.URL(), shards: 3, backoff: "200ms", maxRetries: 5})
	const n = 90
	for i := range n {
		id := fmt.Sprintf("evt_cl%d", i)
		if code, body, _ := s.post("seed", seedBody(id, "test.cluster", `{}`), seedSecret); code != 200 || !strings.Contains(body, `"accepted"`) {
			t.Fatalf("%s: %d %s", id, code, body)
		}
	}
	for i := 0; i < n; i += 10 {
		id := fmt.Sprintf("evt_cl%d", i)
		if code, body, _ := s.post("seed", seedBody(id, "test.cluster", `{}`), seedSecret); code != 200 || !strings.Contains(body, `"duplicate"`) {
			t.Fatalf("duplicate %s: %d %s", id, code, body)
		}
	}
	eventually(t, 30*time.Second, "every event delivered", func() bool {
		for i := range n {
			if len(s.sink.deliveries(fmt.Sprintf("evt_cl%d", i))) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // a second delivery would show by now
	for i := range n {
		if d := s.sink.deliveries(fmt.Sprintf("evt_cl%d", i)); len(d) != 1 {
			t.Errorf("evt_cl%d delivered %d times", i, len(d))
		}
	}

	shards := queue.NewShards(3)
	rdb, _, err := app.Redis(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for _, name := range shards.Names() {
		info, err := insp.GetQueueInfo(name)
		if err != nil {
			t.Fatalf("inspector over the cluster: %v", err)
		}
		if info.Processed == 0 {
			t.Errorf("shard %s processed nothing", name)
		}
		t.Logf("shard %s: processed %d", name, info.Processed)
	}
	dash := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.ingestAdm+"/monitoring/api/"+path, nil)
		req.SetBasicAuth("ops", "dash-pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, b := dash("queues")
	for _, name := range shards.Names() {
		if code != 200 || !strings.Contains(b, `"`+name+`"`) {
			t.Fatalf("dashboard over the cluster does not list %s: %d %s", name, code, b)
		}
	}
	// Asynqmon's Redis page takes its cluster form (node list) from the client type.
	if code, b := dash("redis_info"); code != 200 || !strings.Contains(b, `"queue_locations"`) {
		t.Fatalf("dashboard redis info over the cluster: %d %.300s", code, b)
	}
}

// TestClusterFailover sends signed events steadily to ingest on a 3-master
// cluster (cluster-node-timeout 5 s, shards 3, ack_replicas 1; the killed
// master has two replicas, as the Sentinel test has), kill -9s the
// master of one shard and measures the outage (requests answered 503) until
// its replica took over and the hookq clients found it (slot map reloaded
// every second), without restarting hookq. With ack_replicas 1 no
// acknowledged event may be lost. HOOKQ_FAILOVER=long (make failover-cluster)
// sends for a minute after the failover and waits for every event,
// including those whose attempt was in flight on the dead master (Asynq
// recovers them once their lease expires).
func TestClusterFailover(t *testing.T) {
	long := os.Getenv("HOOKQ_FAILOVER") == "long"
	// One spare replica on the master of shard 0, the one killed: after the
	// failover its new master still has a replica to acknowledge writes.
	c := redistest.StartCluster(t, 1)
	s := startStack(t, stackOpts{redisURL: c.URL(), shards: 3, backoff: "200ms", maxRetries: 20, ackReplica: 1})
	eventually(t, 5*time.Second, "ingest turning on ack_replicas", func() bool { return strings.Contains(s.ingest.Log(), "answers wait for replicas") })
	shards := queue.NewShards(3)
	victim, err := c.MasterOf(context.Background(), queue.Slot(queue.PendingKey(shards.Names()[0])))
	if err != nil {
		t.Fatal(err)
	}

	load := startSteadyLoad(s)
	time.Sleep(2 * time.Second)
	killed := time.Now()
	victim.Kill()
	t.Logf("kill -9 master %s (shard %s)", victim.Addr(), shards.Names()[0])

	eventually(t, 30*time.Second, "a replica promoted", func() bool {
		m, err := c.MasterOf(context.Background(), queue.Slot(queue.PendingKey(shards.Names()[0])))
		return err == nil && m != victim
	})
	promoted := time.Since(killed)
	eventually(t, 30*time.Second, "every shard answering 200 again", func() bool {
		return load.holds(func(results []answer) bool {
			ok := 0 // the latest answers, since the promotion, all 200 (events spread over every shard)
			for i := len(results) - 1; i >= 0 && results[i].at.After(killed.Add(promoted)) && results[i].code == 200; i-- {
				ok++
			}
			return ok >= 20
		})
	})
	after := 3 * time.Second
	if long {
		after = 60 * time.Second
	}
	time.Sleep(after)
	results := load.finish()

	acked := tallyOutage(t, results, "the cluster", promoted, "cluster-node-timeout 5s")
	if lost := awaitDelivered(t, s, results, killed, long); len(lost) > 0 {
		t.Errorf("%d events acknowledged with ack_replicas=1 were lost: %v", len(lost), lost[:min(len(lost), 10)])
	}
	logDuplicates(t, s, acked)
}
