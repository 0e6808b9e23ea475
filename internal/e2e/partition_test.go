package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/sign"
)

// TestPartition cuts the Sentinel master off the network under steady
// signed load, instead of killing it. The master runs in a network
// namespace of its own (an "island") joined to the replicas and the three
// Sentinels through a bridge; cutting the island's bridge port drops its
// packets silently. Two ingests run at once on the same redis-sentinel://
// URL: one in the island next to the old master (its public port stays
// reachable through a second link, as the internet would reach it), one on
// the majority side with the replicas, the Sentinels and the worker.
// Senders behave like providers: each event is retried on any answer but
// 200 until it is acknowledged.
//
// The island ingest keeps writing to the isolated old master, which accepts
// writes until min-replicas-to-write stops it; when the partition heals,
// the Sentinels turn the old master into a replica of the new one and its
// writes are discarded. The test measures, per side, the acknowledged events
// that are never delivered (lost), duplicates and the outage, and asserts:
//   - ack_replicas 0 without min-replicas-to-write: the island ingest
//     acknowledges events during the partition and they are lost;
//   - ack_replicas 0 with min-replicas-to-write 1 (max lag 2 s): only events
//     acknowledged in the first seconds of the partition can be lost;
//   - ack_replicas 1: nothing acknowledged is lost, on either side;
//   - in every case both ingests and the worker recover without a restart:
//     every event acknowledged after the old master rejoined is delivered.
//
// make test runs ack_replicas 1 with min-replicas-to-write; make partition
// (HOOKQ_PARTITION=long) runs the four combinations, holds the partition
// longer and sends for longer after it heals.
func TestPartition(t *testing.T) {
	long := os.Getenv("HOOKQ_PARTITION") == "long"
	for _, c := range []struct {
		ack         int
		minReplicas bool
		short       bool
	}{
		{0, false, false},
		{0, true, false},
		{1, false, false},
		{1, true, true},
	} {
		name := fmt.Sprintf("ack_replicas=%d", c.ack)
		if c.minReplicas {
			name += ",min-replicas-to-write=1"
		}
		t.Run(name, func(t *testing.T) {
			if !long && !c.short {
				t.Skip("HOOKQ_PARTITION=long (make partition) runs this case")
			}
			partition(t, c.ack, c.minReplicas, long)
		})
	}
}

// sent is one provider request and its answer.
type sent struct {
	id, side string
	at       time.Time
	code     int
}

func partition(t *testing.T, ack int, minReplicas bool, long bool) {
	const maxLag = 2 // seconds, min-replicas-max-lag
	downAfter, hold, after := 3*time.Second, 8*time.Second, 3*time.Second
	if long {
		downAfter, hold, after = 5*time.Second, 20*time.Second, 20*time.Second
	}
	nw := redistest.NewNet(t)
	var redisArgs []string
	if minReplicas {
		redisArgs = []string{"--min-replicas-to-write", "1", "--min-replicas-max-lag", fmt.Sprint(maxLag)}
	}
	set := redistest.StartPartitionSet(t, nw, downAfter, 2, redisArgs...)
	s := startStack(t, stackOpts{redisURL: set.URL(), backoff: "200ms", maxRetries: 20, ackReplica: ack})
	islandURL := startIslandIngest(t, s, nw)
	urls := map[string]string{"island": islandURL, "majority": s.ingestURL}
	client := &http.Client{Timeout: 5 * time.Second}
	for side, u := range urls {
		id := "evt_before_" + side
		if code := postSigned(client, u, seedBody(id, "test.partition", `{}`)); code != 200 {
			t.Fatalf("%s ingest before the partition: %d", side, code)
		}
		eventually(t, 15*time.Second, id+" delivered", func() bool { return len(s.sink.deliveries(id)) > 0 })
	}

	// Two providers per ingest, one new event every 20 ms each; any answer
	// but 200 is retried after 200 ms, until the event is acknowledged or
	// the test gives up on it.
	var (
		mu      sync.Mutex
		results []sent
	)
	stopNew, giveUp := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		side := "island"
		if g%2 == 1 {
			side = "majority"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopNew:
					return
				case <-time.After(20 * time.Millisecond):
				}
				id := fmt.Sprintf("evt_%d_%d", g, i)
				body := seedBody(id, "test.partition", `{}`)
				for {
					code := postSigned(client, urls[side], body)
					mu.Lock()
					results = append(results, sent{id, side, time.Now(), code})
					mu.Unlock()
					if code == 200 {
						break
					}
					select {
					case <-giveUp:
						return
					case <-time.After(200 * time.Millisecond):
					}
				}
			}
		}()
	}
	snapshot := func() []sent {
		mu.Lock()
		defer mu.Unlock()
		return append([]sent(nil), results...)
	}

	time.Sleep(2 * time.Second)
	old := set.OldMaster.Addr()
	nw.Cut()
	cutAt := time.Now()
	t.Logf("partition: old master %s cut off from the replicas, the Sentinels, the majority ingest and the worker", old)
	eventually(t, 30*time.Second, "a new master", func() bool {
		a, err := set.MasterAddr(context.Background())
		return err == nil && a != old
	})
	promoted := time.Since(cutAt)
	time.Sleep(time.Until(cutAt.Add(hold)))
	nw.Heal()
	healAt := time.Now()
	if err := redistest.WaitReplicaLinked(context.Background(), old, 60*time.Second); err != nil {
		t.Fatalf("old master never rejoined as a replica: %v", err)
	}
	rejoinAt := time.Now()
	t.Logf("Sentinel promoted a replica %.1fs after the cut; partition healed after %.1fs; old master a replica again %.1fs after the heal",
		promoted.Seconds(), healAt.Sub(cutAt).Seconds(), rejoinAt.Sub(healAt).Seconds())
	time.Sleep(after)
	close(stopNew)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		close(giveUp)
		<-done
	}
	results = snapshot()

	// Every acknowledged event that is still somewhere is delivered once the
	// queue on the current master is empty; what is still missing then is lost.
	rdb, _, err := app.Redis(set.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	acked := map[string]sent{}
	for _, r := range results {
		if r.code == 200 {
			if _, ok := acked[r.id]; !ok {
				acked[r.id] = r
			}
		}
	}
	missing := func() int {
		n := 0
		for id := range acked {
			if len(s.sink.deliveries(id)) == 0 {
				n++
			}
		}
		return n
	}
	drainWait := 30 * time.Second
	if long {
		drainWait = 2 * time.Minute
	}
	deadline := time.Now().Add(drainWait)
	for {
		qi, err := insp.GetQueueInfo(queue.Queue)
		if missing() == 0 || (err == nil && qi.Pending+qi.Active+qi.Scheduled+qi.Retry == 0) {
			break
		}
		if time.Now().After(deadline) {
			if err == nil {
				t.Logf("queue not drained after %v: pending %d, active %d, scheduled %d, retry %d", drainWait, qi.Pending, qi.Active, qi.Scheduled, qi.Retry)
			} else {
				t.Logf("queue not drained after %v: %v", drainWait, err)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // deliveries of the last active tasks

	// Per side and per phase: before the cut, during the partition, between
	// the heal and the old master's rejoining as a replica, after that.
	phases := []string{"before the cut", "during the partition", "while healing", "after the rejoin"}
	phase := func(at time.Time) int {
		switch {
		case at.Before(cutAt):
			return 0
		case at.Before(healAt):
			return 1
		case at.Before(rejoinAt):
			return 2
		}
		return 3
	}
	type sideStats struct {
		events, non200, other, dups int
		acked, lost                 [4]int
		firstBad, lastBad, lastAck  time.Time // lastAck: last acknowledgement during the partition
		lostIDs                     []string
	}
	stats := map[string]*sideStats{"island": {}, "majority": {}}
	seen := map[string]bool{}
	for _, r := range results {
		st := stats[r.side]
		if !seen[r.id] {
			seen[r.id] = true
			st.events++
		}
		if r.code == 200 || !r.at.After(cutAt) {
			continue
		}
		st.non200++
		if r.code != 503 {
			st.other++
		}
		if st.firstBad.IsZero() {
			st.firstBad = r.at
		}
		st.lastBad = r.at
	}
	for id, r := range acked {
		st, ph := stats[r.side], phase(r.at)
		st.acked[ph]++
		if ph == 1 && r.at.After(st.lastAck) {
			st.lastAck = r.at
		}
		switch n := len(s.sink.deliveries(id)); {
		case n == 0:
			st.lost[ph]++
			st.lostIDs = append(st.lostIDs, id)
		case n > 1:
			st.dups++
		}
	}
	for _, side := range []string{"island", "majority"} {
		st := stats[side]
		var parts []string
		lost := 0
		for i, ph := range phases {
			parts = append(parts, fmt.Sprintf("%s %d/%d", ph, st.acked[i], st.lost[i]))
			lost += st.lost[i]
		}
		bad := "none"
		if st.non200 > 0 {
			bad = fmt.Sprintf("%d (%d not 503) from %.1fs to %.1fs after the cut, an outage of %.1fs",
				st.non200, st.other, st.firstBad.Sub(cutAt).Seconds(), st.lastBad.Sub(cutAt).Seconds(), st.lastBad.Sub(st.firstBad).Seconds())
		}
		last := ""
		if !st.lastAck.IsZero() {
			last = fmt.Sprintf(" (the last %.1fs after the cut)", st.lastAck.Sub(cutAt).Seconds())
		}
		t.Logf("%s ingest: %d events; acknowledged/lost %s%s; answers not 200 after the cut: %s; lost %d; duplicates %d",
			side, st.events, strings.Join(parts, ", "), last, bad, lost, st.dups)
		if lost > 0 {
			sort.Strings(st.lostIDs)
			t.Logf("%s lost, e.g.: %v", side, st.lostIDs[:min(len(st.lostIDs), 5)])
		}
		if st.other > 0 {
			t.Errorf("%s ingest: %d answers neither 200 nor 503", side, st.other)
		}
		if ack > 0 && lost > 0 {
			t.Errorf("%s ingest: %d events acknowledged with ack_replicas=%d were lost", side, lost, ack)
		}
		if st.lost[3] > 0 {
			t.Errorf("%s ingest: %d events acknowledged after the old master rejoined were never delivered", side, st.lost[3])
		}
	}
	isl := stats["island"]
	switch {
	case ack == 0 && !minReplicas:
		// The isolated master takes every write: the island ingest answers 200
		// through the partition, and the heal discards those events.
		if isl.lost[1] == 0 {
			t.Errorf("ack_replicas=0: expected the island ingest's acknowledgements during the partition to be lost, none were")
		}
	case ack == 0 && minReplicas:
		// Replicas report every second; the old master refuses writes once
		// the last report is more than min-replicas-max-lag old.
		if lim := cutAt.Add(time.Duration(maxLag+2) * time.Second); isl.lastAck.After(lim) {
			t.Errorf("min-replicas-to-write 1: the island ingest still acknowledged an event %.1fs after the cut", isl.lastAck.Sub(cutAt).Seconds())
		}
	default:
		if isl.acked[1] > 0 {
			t.Errorf("ack_replicas=%d: the island ingest acknowledged %d events during the partition", ack, isl.acked[1])
		}
	}
}

// startIslandIngest starts a second ingest, with the stack's config, inside
// the island; it listens on the island's side-door address.
func startIslandIngest(t *testing.T, s *stack, nw *redistest.Net) string {
	t.Helper()
	b, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for _, u := range []string{s.ingestURL, s.ingestAdm} {
		hp := strings.TrimPrefix(u, "http://")
		_, port, _ := strings.Cut(hp, ":")
		cfg = strings.Replace(cfg, `"`+hp+`"`, `"`+nw.DoorIP+":"+port+`"`, 1)
	}
	path := filepath.Join(t.TempDir(), "island.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// `ip netns exec` execs the ingest in place, so the process is the ingest.
	proctest.Start(t, "ip", proctest.Options{
		Name: "island ingest",
		Args: []string{"netns", "exec", nw.Island, filepath.Join(binDir, "ingest"), "-config", path},
		Env:  s.env,
	})
	_, port, _ := strings.Cut(strings.TrimPrefix(s.ingestAdm, "http://"), ":")
	s.waitOK("http://" + nw.DoorIP + ":" + port + "/readyz")
	_, port, _ = strings.Cut(strings.TrimPrefix(s.ingestURL, "http://"), ":")
	return "http://" + nw.DoorIP + ":" + port
}

// postSigned posts body to the seed source of the ingest at base; 0 when no
// answer came.
func postSigned(c *http.Client, base string, body []byte) int {
	h, err := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: seedSecret, Body: body, Now: time.Now()})
	if err != nil {
		return -1
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/seed", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", h.Get("X-Signature"))
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
