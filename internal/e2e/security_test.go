package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// Everything ingest accepts, the worker decodes: a signed body nested just
// under encoding/json's limit arrives at the destination byte for byte. And
// every dead letter reaches the dead-letter stream, a task whose payload
// does not decode included, with its bytes as they were.
func TestAcceptedBodiesDecodeAndEveryDeadLetterIsCopied(t *testing.T) {
	s := startStack(t, stackOpts{maxBody: 64 << 10})
	// The object holding "data" is level 1: 10,000 levels in all, the most
	// encoding/json accepts.
	deep := []byte(`{"id":"evt_deep","type":"test.deep","data":` + strings.Repeat("[", 9_999) + strings.Repeat("]", 9_999) + `}`)
	if !json.Valid(deep) {
		t.Fatal("test body is not valid JSON")
	}
	if status, resp, _ := s.post("seed", deep, seedSecret); status != 200 || !strings.Contains(resp, "accepted") {
		t.Fatalf("deep body: %d %s", status, resp)
	}
	eventually(t, 15*time.Second, "the deep body delivered", func() bool { return len(s.sink.deliveries("evt_deep")) == 1 })
	if got := s.sink.deliveries("evt_deep")[0].Body; !bytes.Equal(got, deep) {
		t.Fatalf("delivered body differs from the one received (%d vs %d bytes)", len(got), len(deep))
	}

	// A task hookq cannot decode (written by an older or foreign writer):
	// dead-lettered at once, and copied.
	rdb := s.redis.Client()
	garbage := []byte("{\"source\":\"seed\",\"event_id\":\"evt_garbage\",\"body\":" + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "}")
	client := asynq.NewClientFromRedisClient(rdb)
	if _, err := client.Enqueue(asynq.NewTask(webhook.TaskType("app"), garbage), asynq.Queue(queue.Queue),
		asynq.TaskID(webhook.TaskID("seed", "app", "evt_garbage")), asynq.MaxRetry(3)); err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	eventually(t, 15*time.Second, "the undecodable task in the dead-letter stream", func() bool {
		for _, m := range rdb.XRange(context.Background(), queue.DeadLetterStream, "-", "+").Val() {
			if m.Values["task_id"] == "seed:app:evt_garbage" {
				entry = m.Values
				return true
			}
		}
		return false
	})
	if entry["envelope"] != string(garbage) || entry["route"] != "app" || entry["event_id"] != "evt_garbage" ||
		!strings.Contains(entry["error"].(string), "bad task envelope") {
		t.Fatalf("stream entry: route %v, event %v, error %v, payload kept %v", entry["route"], entry["event_id"], entry["error"], entry["envelope"] == string(garbage))
	}
	// Its size is exported with its bound.
	metrics := get(t, s.ingestAdm+"/metrics")
	for _, want := range []string{"hookq_dead_letter_stream_entries 1", "hookq_dead_letter_stream_max_bytes 2.68435456e+08"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("ingest /metrics lacks %q", want)
		}
	}
}

// pass_headers stay with their route: a token meant for one destination is
// in no other route's task, delivery or dead-letter copy.
func TestPassHeadersStayWithTheirRoute(t *testing.T) {
	s := startStack(t, stackOpts{routes: `
  - name: billing
    source: seed
    events: ["sec.*"]
    handler: forward
    url: SINK?route=billing
    max_retries: 0
    pass_headers: [Authorization]
  - name: audit
    source: seed
    events: ["sec.*"]
    handler: forward
    url: SINK?route=audit
    max_retries: 0
    pass_headers: [X-Request-Id]
`})
	s.sink.setRespond(func(delivery, int) (int, time.Duration) { return 410, 0 }) // both dead-lettered
	const token = "Bearer billing-only-token"
	if status, resp, _ := s.post("seed", seedBody("evt_hdr", "sec.check", `{}`), seedSecret,
		"Authorization", token, "X-Request-Id", "req-1"); status != 200 {
		t.Fatalf("%d %s", status, resp)
	}
	eventually(t, 15*time.Second, "both routes delivered", func() bool { return len(s.sink.deliveries("evt_hdr")) == 2 })
	for _, d := range s.sink.deliveries("evt_hdr") {
		auth, rid := d.Header.Get("Authorization"), d.Header.Get("X-Request-Id")
		if (d.Query == "route=billing") != (auth == token) || (d.Query == "route=audit") != (rid == "req-1") {
			t.Errorf("%s got Authorization %q, X-Request-Id %q", d.Query, auth, rid)
		}
	}
	rdb := s.redis.Client()
	copies := map[string]string{}
	eventually(t, 15*time.Second, "both dead letters copied", func() bool {
		for _, m := range rdb.XRange(context.Background(), queue.DeadLetterStream, "-", "+").Val() {
			copies[m.Values["route"].(string)] = m.Values["envelope"].(string)
		}
		return len(copies) == 2
	})
	if strings.Contains(copies["audit"], "billing-only-token") {
		t.Fatalf("the audit route's dead-letter copy holds billing's Authorization header: %s", copies["audit"])
	}
	ev, err := webhook.Decode([]byte(copies["billing"]))
	if err != nil || ev.Headers["Authorization"] != token {
		t.Fatalf("billing's copy lost its own header: %v %v", ev, err)
	}
}

// The admin listeners resist a browser: loopback listeners answer only a
// loopback Host (DNS rebinding), and no page of theirs can be framed.
func TestAdminListenersResistTheBrowser(t *testing.T) {
	s := startStack(t, stackOpts{})
	for _, u := range []string{s.ingestAdm + "/metrics", s.ingestAdm + "/readyz", s.ingestAdm + "/healthz",
		s.ingestAdm + "/monitoring/", s.workerAdm + "/metrics", s.workerAdm + "/readyz"} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Host = "rebind.attacker.example:9090"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with Host %s: %d, want 403", u, req.Host, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", s.ingestAdm+"/monitoring/", nil)
	req.SetBasicAuth("ops", "dash-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" ||
		resp.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("dashboard: %d, X-Frame-Options %q, CSP %q, nosniff %q", resp.StatusCode, resp.Header.Get("X-Frame-Options"),
			resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Content-Type-Options"))
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
