package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/ingest"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// answer is one request's outcome as the provider saw it.
type answer struct {
	id         string
	status     int
	retryAfter string
	body       string
	took       time.Duration
	done       time.Time
}

// TestOverloadSheds: with Redis stalled (CLIENT PAUSE WRITE) and more
// concurrent deliveries than ingest.max_in_flight, the excess is answered
// 503 + Retry-After at once instead of queueing behind Redis; the requests
// holding a slot get their 200 once Redis moves, and only after their task
// is in Asynq; a shed delivery left no dedupe mark, so its retry is
// accepted, not called a duplicate.
func TestOverloadSheds(t *testing.T) {
	const (
		inFlight = 4
		senders  = 24
		pause    = 1500 * time.Millisecond
	)
	srv := redistest.Start(t)
	rdb := srv.Client()
	v, _ := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	sources := map[string]*ingest.Source{"seed": {Name: "seed", Type: "hmac", Verifier: v, DedupeTTL: time.Hour,
		EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"},
		Routes: []ingest.Route{{Task: webhook.Task{Route: "app", MaxRetry: 3, Timeout: 15 * time.Second}}}}}
	reg := prometheus.NewRegistry()
	h := ingest.NewServer(zap.NewNop(), sources, queue.NewEnqueuer(rdb), queue.NewTokens(rdb), obs.NewIngestMetrics(reg),
		ingest.Options{MaxInFlight: inFlight, RedisTimeout: 3 * time.Second, RetryAfter: 2 * time.Second})
	ts := httptest.NewServer(h)
	defer ts.Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	send := func(id string) answer {
		body := []byte(`{"id":"` + id + `","type":"payment_success"}`)
		hdr, _ := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: "s3cret", Body: body})
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/webhooks/seed", bytes.NewReader(body))
		req.Header.Set("X-Signature", hdr.Get("X-Signature"))
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return answer{id: id, body: err.Error(), took: time.Since(t0), done: time.Now()}
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return answer{id: id, status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b), took: time.Since(t0), done: time.Now()}
	}
	send("warm-up") // the script is loaded and a connection is open before the stall

	ctx := context.Background()
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	answers := make([]answer, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = send(fmt.Sprintf("evt_%02d", i))
		}()
	}
	wg.Wait()

	inspector := asynq.NewInspectorFromRedisClient(rdb)
	var ok, shed []answer
	var took []time.Duration
	for _, a := range answers {
		took = append(took, a.took)
		switch a.status {
		case http.StatusOK:
			ok = append(ok, a)
			// No 200 before the event's task is in Asynq.
			if _, err := inspector.GetTaskInfo(queue.Queue, webhook.TaskID("seed", "app", a.id)); err != nil {
				t.Errorf("%s answered 200 but its task is not in Asynq: %v", a.id, err)
			}
		case http.StatusServiceUnavailable:
			shed = append(shed, a)
			var b struct{ Error string }
			json.Unmarshal([]byte(a.body), &b)
			if b.Error != string(webhook.OutcomeOverloaded) || a.retryAfter != "2" {
				t.Errorf("%s: 503 %q, Retry-After %q; want overloaded, 2", a.id, a.body, a.retryAfter)
			}
			if ok, err := queue.Marked(ctx, rdb, "seed", a.id, time.Hour); err != nil || ok {
				t.Errorf("%s answered 503 but left a dedupe mark", a.id)
			}
		default:
			t.Errorf("%s: %d %s; want 200 or 503", a.id, a.status, a.body)
		}
	}
	// Shed at once, not queued behind Redis: every 503 came back before
	// the first 200, which had to wait for Redis to move.
	for _, s := range shed {
		for _, o := range ok {
			if !s.done.Before(o.done) {
				t.Errorf("%s was shed after %s was accepted: it waited for Redis instead of being shed at once", s.id, o.id)
			}
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("%d accepted, %d shed; slowest answer %s", len(ok), len(shed), took[len(took)-1])
	if len(ok) < inFlight || len(shed) == 0 {
		t.Fatalf("%d accepted, %d shed: want at least %d accepted (the slots) and the rest shed", len(ok), len(shed), inFlight)
	}
	// Every answer within ingest's own bound (redis_timeout), stall or not.
	if slowest := took[len(took)-1]; slowest > 3*time.Second+500*time.Millisecond {
		t.Errorf("slowest answer %s: answered requests must stay bounded by redis_timeout", slowest)
	}
	if n := queueLen(t, inspector); n != len(ok) {
		t.Errorf("Asynq holds %d pending tasks, want one per 200 (%d)", n, len(ok))
	}
	if got := counterSum(t, reg, "hookq_ingest_shed_total"); got != float64(len(shed)) {
		t.Errorf("hookq_ingest_shed_total = %v, want %d", got, len(shed))
	}
	// The provider's retry of a shed delivery is accepted, not a duplicate.
	for _, a := range shed {
		if r := send(a.id); r.status != http.StatusOK || !bytes.Contains([]byte(r.body), []byte(`"status":"accepted"`)) {
			t.Errorf("retry of shed %s: %d %s", a.id, r.status, r.body)
		}
	}
}

func queueLen(t *testing.T, in *asynq.Inspector) int {
	t.Helper()
	qi, err := in.GetQueueInfo(queue.Queue)
	if err != nil {
		t.Fatal(err)
	}
	return qi.Pending - 1 // the warm-up event
}

func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
