package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/redistest"
)

var binDir string

func TestMain(m *testing.M) { proctest.Main(m, &binDir) }

const (
	chaosSecret = "chaos-secret"
	chaosSource = "chaos"
	chaosRoute  = "sink"
)

// ---------------------------------------------------------------- sink

// sink is the forward destination. It fails some deliveries with 500, is
// slow on some others, and counts, per event id, the deliveries it answered
// 2xx to a client that was still there.
type sink struct {
	srv      *http.Server
	URL      string
	failRate float64
	slowRate float64
	slow     time.Duration
	sent     *sync.Map // event id -> body sent to ingest

	mu   sync.Mutex
	recs map[string]*sinkRec

	attempts, served500, servedSlow, clientGone, unknownID, badBody atomic.Int64
}

type sinkRec struct {
	ok, attempts int
	firstOK      time.Time
}

func newSink(t *testing.T, sent *sync.Map, failRate, slowRate float64, slow time.Duration) *sink {
	t.Helper()
	s := &sink{failRate: failRate, slowRate: slowRate, slow: slow, sent: sent, recs: map[string]*sinkRec{}}
	var base string
	s.srv, base = proctest.Serve(t, http.HandlerFunc(s.serve))
	s.URL = base + "/hook"
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		return // readiness probe
	}
	id := r.Header.Get("X-Hookq-Event-Id")
	b, err := io.ReadAll(r.Body)
	s.attempts.Add(1)
	if err != nil {
		s.clientGone.Add(1)
		return
	}
	if want, ok := s.sent.Load(id); !ok {
		s.unknownID.Add(1)
	} else if !bytes.Equal(want.([]byte), b) {
		s.badBody.Add(1)
	}
	s.mu.Lock()
	rec := s.recs[id]
	if rec == nil {
		rec = &sinkRec{}
		s.recs[id] = rec
	}
	rec.attempts++
	s.mu.Unlock()

	x := rand.Float64()
	switch {
	case x < s.failRate:
		s.served500.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		return
	case x < s.failRate+s.slowRate:
		s.servedSlow.Add(1)
		select {
		case <-time.After(s.slow):
		case <-r.Context().Done():
		}
	}
	if r.Context().Err() != nil { // the worker died or gave up: not delivered
		s.clientGone.Add(1)
		return
	}
	s.mu.Lock()
	rec.ok++
	if rec.ok == 1 {
		rec.firstOK = time.Now()
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// snapshot copies the per-id records.
func (s *sink) snapshot() map[string]sinkRec {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]sinkRec, len(s.recs))
	for k, v := range s.recs {
		out[k] = *v
	}
	return out
}

// ---------------------------------------------------------------- processes

// proc is one running binary. The cluster reaps it in the background: done
// is closed when it has exited, with err.
type proc struct {
	*proctest.Proc
	name    string
	config  string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	killed  bool // by the test, on purpose
	err     error
	started time.Time
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// cluster is one hookq deployment: Redis, ingest, workers, sink.
type cluster struct {
	t         *testing.T
	dir       string // configs and logs; kept when the test fails
	redis     *redistest.Server
	sink      *sink
	env       []string
	ingestURL string
	ingestAdm string
	ingest    *proc
	spoolDir  string // ingest.spool.dir; empty: no spool
	workers   []*proc
	workerAdm []string

	mu    sync.Mutex
	procs []*proc // every process ever started
}

type clusterOpts struct {
	workers     int
	concurrency int
	failRate    float64
	slowRate    float64
	slow        time.Duration
	spool       bool // ingest with a local spool
}

// newCluster makes the directory for configs and logs (kept when the test
// fails or HOOKQ_CHAOS_KEEP=1) and starts a private Redis (AOF, appendfsync
// always); the processes' environment points at it.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "hookq-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir}
	// Runs after each process has been killed and, on failure, its log's
	// tail printed.
	t.Cleanup(func() {
		switch {
		case t.Failed():
			t.Logf("logs and configs kept in %s", dir)
		case os.Getenv("HOOKQ_CHAOS_KEEP") == "1":
			t.Logf("logs and configs kept in %s (HOOKQ_CHAOS_KEEP=1)", dir)
		default:
			os.RemoveAll(dir)
		}
	})
	c.redis = redistest.Start(t, redistest.WithAOF())
	c.env = append(os.Environ(), "REDIS_URL="+c.redis.URL(), "CHAOS_SECRET="+chaosSecret)
	c.env = append(c.env, "HOOKQ_CONFIG=") // the -config flag decides
	return c
}

func startCluster(t *testing.T, o clusterOpts, sent *sync.Map) *cluster {
	t.Helper()
	c := newCluster(t)
	c.sink = newSink(t, sent, o.failRate, o.slowRate, o.slow)
	pub, adm := redistest.FreePort(t), redistest.FreePort(t)
	c.ingestURL = fmt.Sprintf("http://127.0.0.1:%d", pub)
	c.ingestAdm = fmt.Sprintf("http://127.0.0.1:%d", adm)
	if o.spool {
		c.spoolDir = filepath.Join(c.dir, "spool")
	}
	// One config per process: worker.admin_listen differs per worker.
	route := fmt.Sprintf(`  - name: %s
    source: %s
    handler: forward
    url: %s
    timeout: 5s
    max_retries: 25
    backoff: { base: 1s, max: 5s }
`, chaosRoute, chaosSource, c.sink.URL)
	ingestCfg := c.writeConfig("ingest.yaml", pub, adm, redistest.FreePort(t), o.concurrency, "{ level: info }", route)
	c.ingest = c.start("ingest", "ingest", ingestCfg)
	c.waitReady(c.ingestAdm, 15*time.Second)
	for i := 0; i < o.workers; i++ {
		wadm := redistest.FreePort(t)
		cfg := c.writeConfig(fmt.Sprintf("worker%d.yaml", i), pub, adm, wadm, o.concurrency, "{ level: info }", route)
		c.workerAdm = append(c.workerAdm, fmt.Sprintf("http://127.0.0.1:%d", wadm))
		c.workers = append(c.workers, c.start(fmt.Sprintf("worker%d", i), "worker", cfg))
	}
	for i := range c.workers {
		c.waitReady(c.workerAdm[i], 15*time.Second)
	}
	return c
}

// writeConfig writes one process's config: ingest on pub and adm (with the
// spool, if any), the worker's admin on wadm, the log block logYAML, and the
// chaos source with routes (YAML list items).
func (c *cluster) writeConfig(name string, pub, adm, wadm, concurrency int, logYAML, routes string) string {
	c.t.Helper()
	cfg := fmt.Sprintf(`# generated by internal/chaos
redis: { url: "redis://127.0.0.1:1/0" }   # REDIS_URL overrides
ingest:
  listen: "127.0.0.1:%d"
  admin_listen: "127.0.0.1:%d"
  max_body_bytes: 65536
  redis_timeout: 1s
%sworker:
  admin_listen: "127.0.0.1:%d"
  concurrency: %d
  shutdown_timeout: 10s
dashboard: { disabled: true }
dedupe: { ttl: 1h }
log: %s
sources:
  - name: %s
    verifier: { type: hmac, header: X-Signature, secrets: ["${CHAOS_SECRET}"] }
    event_id: { json: id }
    event_type: { json: type }
routes:
%s`, pub, adm, c.spoolYAML(), wadm, concurrency, logYAML, chaosSource, routes)
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

func (c *cluster) spoolYAML() string {
	if c.spoolDir == "" {
		return ""
	}
	return fmt.Sprintf("  spool: { dir: %q, max_bytes: 268435456 }\n", c.spoolDir)
}

// start runs binary with config; its output is appended to dir/name.log.
func (c *cluster) start(name, binary, config string) *proc {
	c.t.Helper()
	pp := proctest.Start(c.t, filepath.Join(binDir, binary), proctest.Options{
		Name: name, Config: config, Env: c.env, LogPath: filepath.Join(c.dir, name+".log")})
	p := &proc{Proc: pp, name: name, config: config, logPath: pp.LogPath, cmd: pp.Cmd, done: make(chan struct{}), started: pp.Started}
	go func() {
		p.err = pp.Wait()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p
}

// kill9 sends SIGKILL, as a crash or the OOM killer would, and reaps it.
func (c *cluster) kill9(p *proc) {
	p.killed = true
	p.Kill9()
	<-p.done
}

// restartIngest kill -9s ingest, starts it again on the same config (and
// spool directory) and waits for its /readyz.
func (c *cluster) restartIngest() {
	c.t.Helper()
	c.kill9(c.ingest)
	c.ingest = c.start("ingest", "ingest", c.ingest.config)
	c.waitReady(c.ingestAdm, 20*time.Second)
}

// restartWorker kill -9s worker i, waits pause, starts it again on the same
// config and waits for its /readyz.
func (c *cluster) restartWorker(i int, pause time.Duration) {
	c.t.Helper()
	c.kill9(c.workers[i])
	time.Sleep(pause)
	c.workers[i] = c.start(c.workers[i].name, "worker", c.workers[i].config)
	c.waitReady(c.workerAdm[i], 20*time.Second)
}

// waitReady polls url/readyz until 200, failing the test after timeout; it
// returns how long that took.
func (c *cluster) waitReady(base string, timeout time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	if !pollOK(base+"/readyz", timeout) {
		c.t.Fatalf("%s/readyz not 200 within %v", base, timeout)
	}
	return time.Since(start)
}

func pollOK(url string, timeout time.Duration) bool { return proctest.WaitOK(url, timeout) }

// unexpectedExits lists processes that ended without the test killing them.
func (c *cluster) unexpectedExits() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.procs {
		if !p.killed && !p.running() {
			out = append(out, fmt.Sprintf("%s exited: %v (log %s)", p.name, p.err, p.logPath))
		}
	}
	return out
}

// tailFile is the last n bytes of the file at path (a process's log).
//
//lint:ignore U1000 part of the harness's API for scenario files; proctest now prints the logs.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return proctest.Tail(string(b), n)
}

// ---------------------------------------------------------------- load

// load sends unique signed events at a steady rate and keeps the books: an
// event is acknowledged when ingest answered 200 "accepted", or 200
// "duplicate" to a retry of a request that had failed (the first try's
// script ran but its answer was lost), which is what a provider takes as
// delivered too.
type load struct {
	url     string
	prefix  string
	sent    *sync.Map
	client  *http.Client
	retries int // retries of a 503 / transport error, with the same event id

	next atomic.Int64

	mu            sync.Mutex
	acked         map[string]ack
	status        map[string]int // final and intermediate answers, by kind
	firstDupIDs   []string       // "duplicate" to an id never sent before: must not happen
	requests      int
	answered503   int
	transportErrs int
	otherErrs     int
	gaveUp        int
	lastErr       string
	spooled       atomic.Int64 // 200 answers with "spooled": true
}

type ack struct {
	at    time.Time
	kind  string // accepted, accepted-after-retry, duplicate-after-retry
	tries int
}

func newLoad(ingestURL string, sent *sync.Map, retries int) *load {
	return &load{
		url:     ingestURL + "/webhooks/" + chaosSource,
		prefix:  fmt.Sprintf("chaos-%d-", time.Now().UnixNano()),
		sent:    sent,
		retries: retries,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}},
		acked:  map[string]ack{},
		status: map[string]int{},
	}
}

// run sends rate events per second from senders goroutines until ctx ends.
// Retries of an event already started continue (bounded) after that. The
// returned function waits for every sender to finish.
func (l *load) run(ctx context.Context, rate float64, senders int) (wait func()) {
	ids := make(chan int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ids)
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case <-ctx.Done():
				return
			case ids <- l.next.Add(1):
			}
		}
	}()
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ids {
				l.sendOne(n)
			}
		}()
	}
	return wg.Wait
}

var pad = strings.Repeat("x", 160)

// sendOne delivers event n, retrying 503s and transport errors like a
// provider would (same id, short pause), at most l.retries times.
func (l *load) sendOne(n int64) {
	id := l.prefix + strconv.FormatInt(n, 10)
	body := []byte(fmt.Sprintf(`{"id":%q,"type":"test.chaos","data":{"n":%d,"pad":%q}}`, id, n, pad))
	l.sent.Store(id, body)
	for try := 1; try <= 1+l.retries; try++ {
		status, kind, err := l.post(body)
		l.mu.Lock()
		l.requests++
		switch {
		case err != nil:
			l.transportErrs++
			l.lastErr = err.Error()
		case status == 200 && kind == "accepted":
			k := "accepted"
			if try > 1 {
				k = "accepted-after-retry"
			}
			l.acked[id] = ack{at: time.Now(), kind: k, tries: try}
		case status == 200 && kind == "duplicate" && try > 1:
			l.acked[id] = ack{at: time.Now(), kind: "duplicate-after-retry", tries: try}
		case status == 200 && kind == "duplicate":
			l.firstDupIDs = append(l.firstDupIDs, id)
		case status == 503:
			l.answered503++
		default:
			l.otherErrs++
			l.lastErr = fmt.Sprintf("%d %s", status, kind)
		}
		l.status[fmt.Sprintf("%d %s", status, kind)]++
		retry := err != nil || status == 503
		if !retry {
			l.mu.Unlock()
			return
		}
		if try == 1+l.retries {
			l.gaveUp++
		}
		l.mu.Unlock()
		if try < 1+l.retries {
			time.Sleep(time.Duration(200*try) * time.Millisecond)
		}
	}
}

func (l *load) post(body []byte) (int, string, error) {
	req, err := proctest.SignedRequest(l.url, body, chaosSecret)
	if err != nil {
		return 0, "", err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var r struct {
		Status  string `json:"status"`
		Error   string `json:"error"`
		Spooled bool   `json:"spooled"`
	}
	json.Unmarshal(b, &r)
	if r.Spooled {
		l.spooled.Add(1)
	}
	kind := r.Status
	if kind == "" {
		kind = r.Error
	}
	return resp.StatusCode, kind, nil
}

// ackedSnapshot copies the acknowledged events.
func (l *load) ackedSnapshot() map[string]ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]ack, len(l.acked))
	for k, v := range l.acked {
		out[k] = v
	}
	return out
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// missing lists acknowledged ids the sink has not had a 2xx delivery of.
func missing(acked map[string]ack, got map[string]sinkRec) []string {
	var out []string
	for id := range acked {
		if got[id].ok == 0 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.String()
	}
	return err.Error()
}
