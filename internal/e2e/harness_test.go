// Package e2e runs the real ingest and worker binaries against a private
// redis-server and a real HTTP sink, and observes what reaches the sink.
package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/redistest"
)

var binDir string

func TestMain(m *testing.M) { proctest.Main(m, &binDir) }

const seedSecret = "e2e-seed-secret"

// sink is the forward destination: it records every delivery and answers
// with the status its script says.
type sink struct {
	mu      sync.Mutex
	got     []delivery
	respond func(d delivery, n int) (status int, delay time.Duration) // n = deliveries of this event id so far, 1-based
	srv     *http.Server
	URL     string
}

type delivery struct {
	EventID, EventType, Attempt, Source, ContentType, Traceparent string
	Body                                                          []byte
	Query                                                         string // the route's url query, to tell routes apart
	Header                                                        http.Header
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{respond: func(delivery, int) (int, time.Duration) { return 200, 0 }}
	var base string
	s.srv, base = proctest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d := delivery{EventID: r.Header.Get("X-Hookq-Event-Id"), EventType: r.Header.Get("X-Hookq-Event-Type"),
			Attempt: r.Header.Get("X-Hookq-Attempt"), Source: r.Header.Get("X-Hookq-Source"), ContentType: r.Header.Get("Content-Type"),
			Traceparent: r.Header.Get("traceparent"), Body: b, Query: r.URL.RawQuery, Header: r.Header.Clone()}
		s.mu.Lock()
		s.got = append(s.got, d)
		n := 0
		for _, g := range s.got {
			if g.EventID == d.EventID {
				n++
			}
		}
		respond := s.respond
		s.mu.Unlock()
		status, delay := respond(d, n)
		time.Sleep(delay)
		w.WriteHeader(status)
	}))
	s.URL = base + "/hook"
	return s
}

func (s *sink) setRespond(f func(d delivery, n int) (int, time.Duration)) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

func (s *sink) deliveries(eventID string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

// stack is one running hookq: redis, ingest, worker(s), sink.
type stack struct {
	t         *testing.T
	redis     *redistest.Server
	sink      *sink
	config    string
	env       []string
	ingestURL string
	ingestAdm string
	workerAdm string
	ingest    *proc
	workers   []*proc
}

// proc is one running binary; cmd is its Cmd, which a test may Wait for.
type proc struct {
	*proctest.Proc
	cmd *exec.Cmd
}

type stackOpts struct {
	aof        bool
	maxBody    int
	backoff    string // route backoff base
	maxRetries int
	shutdown   string // worker shutdown_timeout
	otlp       string // tracing.otlp_endpoint; empty = tracing off
	sampling   string // tracing.sample_ratio; empty = default
	// sources and routes are YAML list items appended to the seed's
	// sources and routes; SINK in them is the sink's URL, {{INGEST}} the
	// public base URL.
	sources, routes string
	redisURL        string // a Redis the test started itself (Sentinel…); empty = a private redis-server
	ackReplica      int    // redis.ack_replicas
	shards          int    // queue.shards; 0 = default
}

func startStack(t *testing.T, o stackOpts) *stack {
	t.Helper()
	var ropts []redistest.Option
	if o.aof {
		ropts = append(ropts, redistest.WithAOF())
	}
	if o.maxBody == 0 {
		o.maxBody = 64 << 10
	}
	if o.backoff == "" {
		o.backoff = "1s"
	}
	if o.shutdown == "" {
		o.shutdown = "10s"
	}
	s := &stack{t: t, sink: newSink(t)}
	if o.redisURL == "" {
		s.redis = redistest.Start(t, ropts...)
		o.redisURL = s.redis.URL()
	}
	pub, adm, wadm := redistest.FreePort(t), redistest.FreePort(t), redistest.FreePort(t)
	s.ingestURL = fmt.Sprintf("http://127.0.0.1:%d", pub)
	s.ingestAdm = fmt.Sprintf("http://127.0.0.1:%d", adm)
	s.workerAdm = fmt.Sprintf("http://127.0.0.1:%d", wadm)
	cfg := fmt.Sprintf(`
redis: { url: "redis://127.0.0.1:1/0", ack_replicas: %d, ack_timeout: 500ms }   # REDIS_URL overrides
ingest:
  listen: "127.0.0.1:%d"
  admin_listen: "127.0.0.1:%d"
  max_body_bytes: %d
  redis_timeout: 1s
worker:
  admin_listen: "127.0.0.1:%d"
  concurrency: 4
  shutdown_timeout: %s
dashboard:
  password: ${E2E_DASH_PASSWORD}
dedupe: { ttl: 1h }
sources:
  - name: seed
    verifier: { type: hmac, header: X-Signature, secrets: ["${E2E_SEED_SECRET}"] }
    event_id: { json: id }
    event_type: { json: type }
routes:
  - name: payments
    source: seed
    events: ["payment_success"]
    handler: payment_success
  - name: orders
    source: seed
    events: ["order_created"]
    handler: order_created
  - name: app
    source: seed
    events: ["payment_*", "order_*", "test.*"]
    handler: forward
    url: %s
    timeout: 5s
    max_retries: %d
    backoff: { base: %s, max: 2s }
`, o.ackReplica, pub, adm, o.maxBody, wadm, o.shutdown, s.sink.URL, o.maxRetries, o.backoff)
	cfg = strings.Replace(cfg, "routes:\n", strings.ReplaceAll(o.sources, "{{INGEST}}", s.ingestURL)+"routes:\n", 1)
	cfg += strings.ReplaceAll(strings.ReplaceAll(o.routes, "SINK", s.sink.URL), "{{INGEST}}", s.ingestURL)
	if o.shards > 0 {
		cfg += fmt.Sprintf("queue: { shards: %d }\n", o.shards)
	}
	if o.otlp != "" {
		cfg += "tracing: { otlp_endpoint: \"" + o.otlp + "\" }\n"
		if o.sampling != "" {
			cfg = strings.Replace(cfg, "tracing: {", "tracing: { sample_ratio: "+o.sampling+",", 1)
		}
	}
	s.config = filepath.Join(t.TempDir(), "hookq.yaml")
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.env = append(os.Environ(), "REDIS_URL="+o.redisURL, "E2E_SEED_SECRET="+seedSecret, "E2E_DASH_PASSWORD=dash-pass")
	s.ingest = s.start("ingest")
	s.waitOK(s.ingestAdm + "/readyz")
	s.startWorker()
	return s
}

func (s *stack) start(name string) *proc {
	s.t.Helper()
	p := proctest.Start(s.t, filepath.Join(binDir, name), proctest.Options{Config: s.config, Env: s.env})
	return &proc{Proc: p, cmd: p.Cmd}
}

func (s *stack) startWorker() *proc {
	s.t.Helper()
	w := s.start("worker")
	s.workers = append(s.workers, w)
	s.waitOK(s.workerAdm + "/readyz")
	return w
}

func tail(s string, n int) string { return proctest.Tail(s, n) }

func (s *stack) waitOK(url string) {
	s.t.Helper()
	if !proctest.WaitOK(url, 15*time.Second) {
		s.t.Fatalf("%s never answered 200", url)
	}
}

// post sends body to /webhooks/{source}, signed with secret ("" = unsigned).
func (s *stack) post(source string, body []byte, secret string, extra ...string) (int, string, http.Header) {
	s.t.Helper()
	req, err := proctest.SignedRequest(s.ingestURL+"/webhooks/"+source, body, secret)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req, extra...)
}

// do sends req with extra headers (name, value, …) and returns the answer's
// status, trimmed body and headers.
func (s *stack) do(req *http.Request, extra ...string) (int, string, http.Header) {
	s.t.Helper()
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	proctest.Eventually(t, timeout, what, cond)
}

func seedBody(id, typ, data string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":%q,"data":%s}`, id, typ, data))
}
