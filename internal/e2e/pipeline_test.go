package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/store"
	"github.com/hookq/hookq/internal/webhook"
)

func TestPipeline(t *testing.T) {
	s := startStack(t, stackOpts{maxRetries: 3})
	rdb := s.redis.Client()
	ctx := context.Background()

	t.Run("AcceptedDeliveredOnce", func(t *testing.T) {
		// Odd spacing on purpose: the destination must get the exact bytes.
		body := []byte(`{ "id": "evt_pay_1",  "type": "payment_success", "data": {"payment_id": "pay_1", "amount": 5000, "currency": "PKR"} }`)
		status, resp, _ := s.post("seed", body, seedSecret)
		if status != 200 || !strings.Contains(resp, `"status":"accepted"`) || !strings.Contains(resp, `"event_id":"evt_pay_1"`) {
			t.Fatalf("got %d %s", status, resp)
		}
		eventually(t, 10*time.Second, "delivery to the sink", func() bool { return len(s.sink.deliveries("evt_pay_1")) == 1 })
		d := s.sink.deliveries("evt_pay_1")[0]
		if !bytes.Equal(d.Body, body) || d.Attempt != "1" || d.Source != "seed" || d.EventType != "payment_success" || d.ContentType != "application/json" {
			t.Fatalf("delivery = %+v (body %q)", d, d.Body)
		}
		// The business handler ran too: the payment is marked processed.
		eventually(t, 10*time.Second, "payment marked processed", func() bool {
			return rdb.HExists(ctx, store.Prefix+"payments", "pay_1").Val()
		})

		status, resp, _ = s.post("seed", body, seedSecret)
		if status != 200 || !strings.Contains(resp, `"status":"duplicate"`) {
			t.Fatalf("redelivery: got %d %s", status, resp)
		}
		time.Sleep(1500 * time.Millisecond)
		if n := len(s.sink.deliveries("evt_pay_1")); n != 1 {
			t.Fatalf("delivered %d times, want 1", n)
		}
	})

	t.Run("TraceContextCarriedToDestination", func(t *testing.T) {
		const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		if status, resp, _ := s.post("seed", seedBody("evt_traced", "test.trace", `{}`), seedSecret, "traceparent", tp); status != 200 {
			t.Fatalf("%d %s", status, resp)
		}
		eventually(t, 10*time.Second, "delivery", func() bool { return len(s.sink.deliveries("evt_traced")) == 1 })
		got := s.sink.deliveries("evt_traced")[0].Traceparent
		if !strings.HasPrefix(got, tp[:36]) || got == tp {
			t.Fatalf("destination traceparent = %q, want trace %s with a new parent id", got, tp[3:35])
		}
		// Info lines reach stderr within log.flush_interval: poll.
		eventually(t, 5*time.Second, "worker log lines carrying the trace id", func() bool {
			return strings.Contains(s.workers[0].Log(), `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`)
		})
	})

	t.Run("HighValueOrderFlagged", func(t *testing.T) {
		for _, o := range []struct{ id, total string }{{"ord_big", "1500"}, {"ord_small", "999"}} {
			if status, resp, _ := s.post("seed", seedBody("evt_"+o.id, "order_created", `{"order_id":"`+o.id+`","total":`+o.total+`}`), seedSecret); status != 200 {
				t.Fatalf("%s: %d %s", o.id, status, resp)
			}
		}
		eventually(t, 10*time.Second, "orders recorded", func() bool { return rdb.HLen(ctx, store.Prefix+"orders").Val() == 2 })
		if !rdb.HExists(ctx, store.Prefix+"orders_high_value", "ord_big").Val() || rdb.HExists(ctx, store.Prefix+"orders_high_value", "ord_small").Val() {
			t.Fatalf("high-value flags wrong: %v", rdb.HGetAll(ctx, store.Prefix+"orders_high_value").Val())
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		good := seedBody("evt_forged", "payment_success", `{"payment_id":"pay_forged"}`)
		cases := []struct {
			name, source, secret string
			body                 []byte
			status               int
			want                 string
		}{
			{"Forged", "seed", "wrong-secret", good, 401, `{"error":"invalid_signature","source":"seed"}`},
			{"Unsigned", "seed", "", good, 401, `{"error":"missing_signature","source":"seed"}`},
			{"UnknownSource", "nope", seedSecret, good, 404, `{"error":"unknown_source"}`},
			{"NotJSON", "seed", seedSecret, []byte("\x00\xffnot json"), 400, `"error":"malformed_payload"`},
			{"NoEventID", "seed", seedSecret, []byte(`{"type":"payment_success"}`), 400, `"error":"malformed_payload"`},
			{"EmptyBody", "seed", seedSecret, nil, 400, `"error":"malformed_payload"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, resp, _ := s.post(c.source, c.body, c.secret)
				if status != c.status || !strings.Contains(resp, c.want) {
					t.Fatalf("got %d %s, want %d %s", status, resp, c.status, c.want)
				}
				if strings.Contains(resp, seedSecret) {
					t.Fatalf("response leaks the secret: %s", resp)
				}
			})
		}
		time.Sleep(500 * time.Millisecond)
		if n := len(s.sink.deliveries("evt_forged")); n != 0 {
			t.Fatalf("forged event delivered %d times", n)
		}
		if ok, err := queue.Marked(ctx, rdb, "seed", "evt_forged", time.Hour); err != nil || ok {
			t.Fatal("a refused request left a dedupe mark")
		}
	})

	t.Run("Ignored", func(t *testing.T) {
		status, resp, _ := s.post("seed", seedBody("evt_ign", "unrouted.event", `{}`), seedSecret)
		if status != 200 || !strings.Contains(resp, `"status":"ignored"`) {
			t.Fatalf("got %d %s", status, resp)
		}
		if ok, err := queue.Marked(ctx, rdb, "seed", "evt_ign", time.Hour); err != nil || ok {
			t.Fatal("an ignored event left a dedupe mark")
		}
	})

	t.Run("MethodNotAllowed", func(t *testing.T) {
		resp, err := http.Get(s.ingestURL + "/webhooks/seed")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || !strings.Contains(string(b), "method_not_allowed") {
			t.Fatalf("got %d Allow=%q %s", resp.StatusCode, resp.Header.Get("Allow"), b)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		big := bytes.Repeat([]byte("a"), 64<<10+1)
		status, resp, _ := s.post("seed", big, seedSecret)
		if status != 413 || !strings.Contains(resp, "body_too_large") {
			t.Fatalf("Content-Length: got %d %s", status, resp)
		}
		// Chunked, without Content-Length: refused once the limit is crossed,
		// before the sender has finished (it never finishes here). It carries
		// a signature header: without one, no body byte would be read.
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.ingestURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /webhooks/seed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nX-Signature: 00\r\n\r\n")
		chunk := bytes.Repeat([]byte("b"), 8192)
		go func() {
			for i := 0; i < 1000; i++ { // 8 MB, far over the limit, never terminated
				if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line := make([]byte, 64)
		n, _ := io.ReadAtLeast(conn, line, 12)
		if !strings.HasPrefix(string(line[:n]), "HTTP/1.1 413") {
			t.Fatalf("chunked: got %q", line[:n])
		}
	})

	t.Run("HugeHeaders", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.ingestURL+"/webhooks/seed", strings.NewReader("{}"))
		req.Header.Set("X-Junk", strings.Repeat("j", 128<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status = %d, want 431", resp.StatusCode)
		}
	})

	t.Run("SlowClientCutOff", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.ingestURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /webhooks/seed HTTP/1.1\r\nHost: x\r\n") // and never finishes the headers
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		io.ReadAll(conn) // returns when the server closes the connection
		if took := time.Since(start); took > 8*time.Second {
			t.Fatalf("slow client held the connection for %v", took)
		}
	})

	t.Run("ReadyzWarnsAboutDurability", func(t *testing.T) {
		resp, err := http.Get(s.ingestAdm + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "appendonly is off") {
			t.Fatalf("readyz = %d %s (this test Redis has no AOF)", resp.StatusCode, b)
		}
	})

	t.Run("DashboardAuth", func(t *testing.T) {
		for _, c := range []struct {
			user, pass string
			want       int
		}{{"", "", 401}, {"ops", "wrong", 401}, {"ops", "dash-pass", 200}} {
			for _, path := range []string{"/monitoring/", "/monitoring/api/queues"} {
				req, _ := http.NewRequest(http.MethodGet, s.ingestAdm+path, nil)
				if c.user != "" {
					req.SetBasicAuth(c.user, c.pass)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Fatalf("%s as %q/%q = %d, want %d", path, c.user, c.pass, resp.StatusCode, c.want)
				}
				if c.want == 200 && path == "/monitoring/api/queues" && !strings.Contains(string(b), queue.Queue) {
					t.Fatalf("queues API does not list %s: %s", queue.Queue, b)
				}
			}
		}
	})

	t.Run("Metrics", func(t *testing.T) {
		for url, series := range map[string][]string{
			s.ingestAdm + "/metrics": {`hookq_ingest_requests_total{reason="accepted",source="seed",status="200"}`,
				`hookq_ingest_requests_total{reason="invalid_signature",source="seed",status="401"}`,
				`hookq_ingest_dedupe_hits_total{source="seed"}`, `hookq_ingest_request_duration_seconds_bucket`,
				`asynq_queue_size{queue="webhooks"`, `hookq_queue_tasks{queue="webhooks",state="pending"}`, `hookq_queue_scrape_ok{queue="webhooks"} 1`},
			s.workerAdm + "/metrics": {`hookq_worker_tasks_processed_total{event_type="payment_*",route="app"}`, // the route's glob, not the sent type
				`hookq_worker_handler_duration_seconds_bucket`},
		} {
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range series {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s lacks %s", url, want)
				}
			}
		}
	})

	t.Run("ConcurrentIdenticalDeliveries", func(t *testing.T) {
		body := seedBody("evt_race", "test.race", `{}`)
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[string]int{}
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, resp, _ := s.post("seed", body, seedSecret)
				mu.Lock()
				counts[resp[:strings.Index(resp, ",")]]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if counts[`{"status":"accepted"`] != 1 || counts[`{"status":"duplicate"`] != 19 {
			t.Fatalf("answers: %v", counts)
		}
		eventually(t, 10*time.Second, "delivery", func() bool { return len(s.sink.deliveries("evt_race")) == 1 })
		time.Sleep(time.Second)
		if n := len(s.sink.deliveries("evt_race")); n != 1 {
			t.Fatalf("delivered %d times", n)
		}
	})
}

// A failing destination is retried with backoff; a permanent refusal goes
// straight to the dead-letter queue, visible to Asynq's inspector.
func TestRetryAndDeadLetter(t *testing.T) {
	s := startStack(t, stackOpts{maxRetries: 2})
	s.sink.setRespond(func(d delivery, n int) (int, time.Duration) {
		switch {
		case d.EventID == "evt_flaky" && n == 1:
			return 503, 0
		case d.EventID == "evt_gone":
			return 410, 0
		case d.EventID == "evt_down":
			return 500, 0
		}
		return 200, 0
	})
	for _, id := range []string{"evt_flaky", "evt_gone", "evt_down"} {
		if status, resp, _ := s.post("seed", seedBody(id, "test.retry", `{}`), seedSecret); status != 200 {
			t.Fatalf("%s: %d %s", id, status, resp)
		}
	}
	eventually(t, 20*time.Second, "flaky event delivered on attempt 2", func() bool {
		d := s.sink.deliveries("evt_flaky")
		return len(d) == 2 && d[1].Attempt == "2"
	})
	insp := asynq.NewInspectorFromRedisClient(s.redis.Client())
	archived := func(id string) bool {
		info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID("seed", "app", id))
		return err == nil && info.State == asynq.TaskStateArchived
	}
	eventually(t, 10*time.Second, "410 dead-lettered at once", func() bool { return archived("evt_gone") })
	if n := len(s.sink.deliveries("evt_gone")); n != 1 {
		t.Fatalf("permanent failure attempted %d times, want 1", n)
	}
	eventually(t, 30*time.Second, "500s dead-lettered after 1+2 attempts", func() bool { return archived("evt_down") })
	if n := len(s.sink.deliveries("evt_down")); n != 3 {
		t.Fatalf("attempts = %d, want 3", n)
	}
	// A redelivery of a dead-lettered event creates no second task.
	if status, resp, _ := s.post("seed", seedBody("evt_down", "test.retry", `{}`), seedSecret); status != 200 || !strings.Contains(resp, "duplicate") {
		t.Fatalf("redelivery of a dead-lettered event: %d %s", status, resp)
	}
	// Re-running it from the DLQ (what the dashboard does) delivers it again.
	s.sink.setRespond(func(delivery, int) (int, time.Duration) { return 200, 0 })
	if err := insp.RunTask(queue.Queue, webhook.TaskID("seed", "app", "evt_down")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "replayed delivery", func() bool { return len(s.sink.deliveries("evt_down")) == 4 })
}

// Redis down or stalled: every webhook is answered 503 + Retry-After within
// the bound, /readyz says so, and service returns by itself.
func TestRedisOutage(t *testing.T) {
	s := startStack(t, stackOpts{aof: true})
	check := func(what string, wantStatus int) {
		t.Helper()
		start := time.Now()
		status, resp, h := s.post("seed", seedBody("evt_out_"+fmt.Sprint(time.Now().UnixNano()), "test.outage", `{}`), seedSecret)
		took := time.Since(start)
		if status != wantStatus {
			t.Fatalf("%s: got %d %s, want %d", what, status, resp, wantStatus)
		}
		if status == 503 && (h.Get("Retry-After") == "" || !strings.Contains(resp, "queue_unavailable")) {
			t.Fatalf("%s: 503 without Retry-After or reason: %v %s", what, h, resp)
		}
		if took > 4500*time.Millisecond { // INTERFACE: every request answered within 5s
			t.Fatalf("%s: answered after %v", what, took)
		}
	}
	readyz := func() int {
		resp, err := http.Get(s.ingestAdm + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	check("healthy", 200)

	s.redis.Stop() // SIGSTOP: a stalled Redis
	check("stalled", 503)
	if c := readyz(); c != 503 {
		t.Fatalf("readyz while stalled = %d", c)
	}
	s.redis.Cont()
	eventually(t, 10*time.Second, "recovery after stall", func() bool { return readyz() == 200 })
	check("after stall", 200)

	s.redis.Kill()
	check("down", 503)
	s.redis.Restart()
	eventually(t, 10*time.Second, "recovery after restart", func() bool { return readyz() == 200 })
	check("after restart", 200)
}

// SIGTERM to a worker with a handler in flight: it stops fetching, lets the
// handler finish, and nothing acknowledged is lost.
func TestWorkerGracefulShutdown(t *testing.T) {
	s := startStack(t, stackOpts{shutdown: "10s"})
	s.sink.setRespond(func(d delivery, n int) (int, time.Duration) { return 200, 2 * time.Second })
	if status, resp, _ := s.post("seed", seedBody("evt_slow", "test.slow", `{}`), seedSecret); status != 200 {
		t.Fatalf("%d %s", status, resp)
	}
	eventually(t, 10*time.Second, "handler in flight", func() bool { return len(s.sink.deliveries("evt_slow")) == 1 })
	w := s.workers[0]
	w.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop")
	}
	if !strings.Contains(w.Log(), `"task done"`) || !strings.Contains(w.Log(), "evt_slow") {
		t.Fatalf("in-flight task did not finish before exit:\n%s", tail(w.Log(), 2000))
	}
	// Sent while no worker runs: queued, then delivered by a new worker.
	s.sink.setRespond(func(delivery, int) (int, time.Duration) { return 200, 0 })
	if status, _, _ := s.post("seed", seedBody("evt_later", "test.later", `{}`), seedSecret); status != 200 {
		t.Fatal(status)
	}
	s.startWorker()
	eventually(t, 10*time.Second, "queued event delivered by the new worker", func() bool { return len(s.sink.deliveries("evt_later")) == 1 })
	if n := len(s.sink.deliveries("evt_slow")); n != 1 {
		t.Fatalf("slow event delivered %d times, want 1", n)
	}
}
