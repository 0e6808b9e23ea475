// Package bench measures hookq side by side with what it is built from, in
// one process and one run, so the ratios hold on a noisy machine: a bare Gin
// handler, raw Asynq enqueue, a bare Asynq server forwarding over HTTP, and
// hookq's real ingest and worker binaries against one private Redis (AOF
// everysec) and one HTTP sink. `make bench` runs it (HOOKQ_BENCH=1) and
// prints one table; without HOOKQ_BENCH the test is skipped.
package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/redistest"
)

var binDir string

func TestMain(m *testing.M) {
	if os.Getenv("HOOKQ_BENCH") == "" {
		os.Exit(m.Run())
	}
	proctest.Main(m, &binDir, "github.com/hookq/hookq/internal/bench/bareproc")
}

// row is one line of the table.
type row struct {
	what, figure, ratio, target string
	met                         string // "yes", "NO" or "" (informational)
}

func seconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("HOOKQ_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 5 * time.Second
}

func TestBenchTable(t *testing.T) {
	if binDir == "" {
		t.Skip("set HOOKQ_BENCH=1 (make bench)")
	}
	d := seconds()
	srv := redistest.Start(t, redistest.WithArgs("--appendonly", "yes", "--appendfsync", "everysec",
		"--hash-max-listpack-value", "2048")) // as deploy/redis.conf
	rdb := srv.Client()
	snk := newSink(t)
	var rows []row
	add := func(r row) {
		rows = append(rows, r)
		t.Logf("%-48s %s", r.what, r.figure)
	}

	// 1. Bare Gin: reads the body, answers JSON (its own process, like ingest).
	gaddr := freeAddr(t)
	g := start(t, []string{"bareproc", "gin", gaddr}, "")
	waitHTTP(t, "http://"+gaddr+"/healthz", 20*time.Second)
	bareGin, _ := load(t, "http://"+gaddr+"/webhooks/seed", 64, d, "gin_")
	g.stop()
	add(row{what: "bare Gin handler (64 conns)", figure: fmt.Sprintf("%.0f req/s", bareGin)})

	// 2. hookq ingest, the real binary, no worker running yet.
	cfg, ingestURL, ingestAdm, workerAdm := writeConfig(t, snk.URL)
	ing := start(t, []string{"ingest", "-config", cfg}, srv.URL())
	waitHTTP(t, ingestAdm+"/readyz", 20*time.Second)
	memBefore := usedMemory(t, rdb)
	calls0 := commandCalls(t, rdb)
	if dir := os.Getenv("HOOKQ_BENCH_PROFILE"); dir != "" {
		go profile(t, ingestAdm, dir, "ingest")
	}
	cpu0, rcpu0, t0 := cpuSeconds(ing.cmd.Process.Pid), redisCPU(t, rdb), time.Now()
	ingest, accepted := load(t, ingestURL+"/webhooks/seed", 64, d, "evt_")
	el := time.Since(t0).Seconds()
	t.Logf("ingest: CPU busy ingest %.0f%%, Redis %.0f%% of one core; load average %s", 100*(cpuSeconds(ing.cmd.Process.Pid)-cpu0)/el,
		100*(redisCPU(t, rdb)-rcpu0)/el, loadAvg())
	calls1 := commandCalls(t, rdb)
	memPending := usedMemory(t, rdb)
	rt, top := diffCalls(calls0, calls1)
	t.Logf("ingest: %d accepted; Redis commands per event %.2f (%s)", accepted, float64(rt)/float64(accepted), top)
	add(row{what: "hookq ingest (64 conns, full path)", figure: fmt.Sprintf("%.0f req/s", ingest),
		ratio: fmt.Sprintf("%.2f x bare Gin", ingest/bareGin), target: ">= 0.40", met: yes(ingest/bareGin >= 0.40)})

	// 4. hookq worker draining the ingest backlog to the sink.
	snk.reset()
	calls2 := commandCalls(t, rdb)
	wrk := start(t, []string{"worker", "-config", cfg}, srv.URL())
	if dir := os.Getenv("HOOKQ_BENCH_PROFILE"); dir != "" {
		go profile(t, workerAdm, dir, "worker")
	}
	cpu0, rcpu0, own0, t0 := cpuSeconds(wrk.cmd.Process.Pid), redisCPU(t, rdb), cpuSeconds(os.Getpid()), time.Now()
	drain := snk.drainRate(t, accepted, 5*time.Minute)
	el = time.Since(t0).Seconds()
	t.Logf("worker drain: CPU busy worker %.0f%%, Redis %.0f%%, sink %.0f%% of one core; load average %s", 100*(cpuSeconds(wrk.cmd.Process.Pid)-cpu0)/el,
		100*(redisCPU(t, rdb)-rcpu0)/el, 100*(cpuSeconds(os.Getpid())-own0)/el, loadAvg())
	calls3 := commandCalls(t, rdb)
	rt, top = diffCalls(calls2, calls3)
	t.Logf("worker drain: Redis commands per task %.2f (%s)", float64(rt)/float64(accepted), top)
	waitHTTP(t, workerAdm+"/readyz", 20*time.Second)
	memMarks := usedMemory(t, rdb)

	// Raw Asynq enqueue: 8 goroutines, TaskID, the same 1 KB bodies.
	rcpu0, t0 = redisCPU(t, rdb), time.Now()
	raw, rawN := rawEnqueue(t, srv.URL(), d)
	t.Logf("raw enqueue: CPU busy Redis %.0f%% of one core", 100*(redisCPU(t, rdb)-rcpu0)/time.Since(t0).Seconds())
	add(row{what: "raw asynq.Client.Enqueue (8 goroutines, TaskID)", figure: fmt.Sprintf("%.0f tasks/s", raw),
		ratio: fmt.Sprintf("%.2f x raw enqueue", ingest/raw), target: "ingest >= 1.0", met: yes(ingest/raw >= 1.0)})

	// 5. Bare Asynq server (concurrency 20) forwarding each payload to the same sink.
	snk.reset()
	bw := start(t, []string{"bareproc", "drain", srv.URL(), bareQueue, snk.URL}, "")
	cpu0, rcpu0, own0, t0 = cpuSeconds(bw.cmd.Process.Pid), redisCPU(t, rdb), cpuSeconds(os.Getpid()), time.Now()
	bare := snk.drainRate(t, rawN, 5*time.Minute)
	el = time.Since(t0).Seconds()
	t.Logf("bare drain: CPU busy bare server %.0f%%, Redis %.0f%%, sink %.0f%% of one core", 100*(cpuSeconds(bw.cmd.Process.Pid)-cpu0)/el,
		100*(redisCPU(t, rdb)-rcpu0)/el, 100*(cpuSeconds(os.Getpid())-own0)/el)
	bw.stop()
	add(row{what: "hookq worker drain (1 process, concurrency 20)", figure: fmt.Sprintf("%.0f tasks/s", drain),
		ratio: fmt.Sprintf("%.2f x bare Asynq, %.2f x ingest", drain/bare, drain/ingest), target: ">= 0.9, >= 1.0",
		met: yes(drain/bare >= 0.9 && drain/ingest >= 1.0)})
	add(row{what: "bare asynq.Server drain (concurrency 20, HTTP forward)", figure: fmt.Sprintf("%.0f tasks/s", bare)})

	// 6. End to end at 50 events/s with an idle worker.
	idle0 := commandCalls(t, rdb)
	time.Sleep(2 * time.Second)
	idle1 := commandCalls(t, rdb)
	idleCalls, idleTop := diffCalls(idle0, idle1)
	p50, p99 := e2e(t, ingestURL+"/webhooks/seed", snk, 50, max(d, 4*time.Second))
	add(row{what: "end to end at 50 ev/s, idle worker: p50 / p99", figure: fmt.Sprintf("%s / %s", p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond)),
		target: "<= 20ms / <= 100ms", met: yes(p50 <= 20*time.Millisecond && p99 <= 100*time.Millisecond)})
	t.Logf("idle Redis cost (ingest + worker, no traffic): %.0f commands/s (%s)", float64(idleCalls)/2, idleTop)

	perEvent := float64(memPending-memBefore) / float64(accepted)
	perMark := float64(memMarks-memBefore) / float64(accepted)
	bodyLen := float64(len(body("evt_00_00000", rand.New(rand.NewPCG(1, 2)))))
	add(row{what: fmt.Sprintf("Redis bytes per pending %.0f B event (incl. mark)", bodyLen), figure: fmt.Sprintf("%.0f B", perEvent),
		ratio: fmt.Sprintf("%.2f x body", perEvent/bodyLen), target: "<= 1.2", met: yes(perEvent/bodyLen <= 1.2)})
	add(row{what: "Redis bytes per dedupe mark", figure: fmt.Sprintf("%.0f B", perMark), target: "<= 120 B", met: yes(perMark <= 120)})
	add(row{what: "idle Redis commands/s (ingest + 1 worker)", figure: fmt.Sprintf("%.0f", float64(idleCalls)/2)})

	// 7. Overload: twice the measured ingest rate, open loop.
	ov := overload(t, rdb, ingestURL+"/webhooks/seed", 2*ingest, d)
	add(row{what: fmt.Sprintf("overload at 2x (%.0f req/s offered): 200 / 503", 2*ingest),
		figure: fmt.Sprintf("%.0f%% / %.0f%%", 100*float64(ov.ok)/float64(ov.sent), 100*float64(ov.shed)/float64(ov.sent)),
		ratio:  fmt.Sprintf("p99 %s, %d 200s unqueued", ov.p99.Round(time.Millisecond), ov.lost),
		target: "p99<=2s, 0 unqueued", met: yes(ov.p99 <= 2*time.Second && ov.lost == 0 && ov.other == 0)})
	t.Logf("overload: %+v", ov)

	wrk.stop()
	ing.stop()
	printTable(rows, d)
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:min(3, len(strings.Fields(string(b))))], " ")
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func printTable(rows []row, d time.Duration) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nhookq bench (%s per throughput run, 1 KB signed JSON, Redis AOF everysec, one process each; load average %s at the end)\n\n", d, loadAvg())
	fmt.Fprintf(&b, "| %-56s | %-18s | %-34s | %-20s | %-4s |\n", "what", "figure", "ratio", "target", "met")
	fmt.Fprintf(&b, "|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 58), strings.Repeat("-", 20), strings.Repeat("-", 36), strings.Repeat("-", 22), strings.Repeat("-", 6))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %-56s | %-18s | %-34s | %-20s | %-4s |\n", r.what, r.figure, r.ratio, r.target, r.met)
	}
	fmt.Println(b.String())
	if dir := os.Getenv("HOOKQ_BENCH_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "bench-table.md"), []byte(b.String()), 0o644)
	}
}

// workerTuning is extra worker keys for trying other values than the
// product's defaults (HOOKQ_BENCH_FETCHERS, HOOKQ_BENCH_POLL); "" by default.
func workerTuning() string {
	var s string
	if v := os.Getenv("HOOKQ_BENCH_FETCHERS"); v != "" {
		s += ", fetchers: " + v
	}
	if v := os.Getenv("HOOKQ_BENCH_POLL"); v != "" {
		s += ", poll_interval: " + v
	}
	return s
}

func writeConfig(tb testing.TB, sinkURL string) (path, ingestURL, ingestAdm, workerAdm string) {
	tb.Helper()
	pub, adm, wadm := freeAddr(tb), freeAddr(tb), freeAddr(tb)
	pprof := os.Getenv("HOOKQ_BENCH_PROFILE") != ""
	cfg := fmt.Sprintf(`
redis: { url: "redis://127.0.0.1:1/0" }
ingest: { listen: %q, admin_listen: %q, pprof: %t }
worker: { admin_listen: %q, concurrency: 20, pprof: %t%s }
dedupe: { ttl: 72h }
log: { level: info }
sources:
  - name: seed
    verifier: { type: hmac, header: X-Signature, secrets: [%q] }
    event_id: { json: id }
    event_type: { json: type }
routes:
  - name: app
    source: seed
    handler: forward
    url: %s
    timeout: 10s
    max_retries: 8
`, pub, adm, pprof, wadm, pprof, workerTuning(), secret, sinkURL)
	path = filepath.Join(tb.TempDir(), "hookq.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, "http://" + pub, "http://" + adm, "http://" + wadm
}

const bareQueue = "bare"

// rawEnqueue runs asynq.Client.Enqueue with a TaskID from 8 goroutines for d.
func rawEnqueue(tb testing.TB, redisURL string, d time.Duration) (float64, int64) {
	tb.Helper()
	opt, _ := asynq.ParseRedisURI(redisURL)
	c := asynq.NewClient(opt)
	defer c.Close()
	var mu sync.Mutex
	var total int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			var n int64
			for time.Since(start) < d {
				id := "raw_" + strconv.Itoa(g) + "_" + strconv.FormatInt(n, 10)
				if _, err := c.Enqueue(asynq.NewTask("bare", body(id, r)), asynq.TaskID(id), asynq.Queue(bareQueue), asynq.MaxRetry(8)); err != nil {
					tb.Error(err)
					return
				}
				n++
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds(), total
}

// e2e sends rate events/s for d (open loop) and returns p50/p99 of "POST
// started" to "sink received".
func e2e(tb testing.TB, url string, snk *sink, rate int, d time.Duration) (p50, p99 time.Duration) {
	tb.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	r := rand.New(rand.NewPCG(3, 4))
	sent := map[string]time.Time{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		id := "lat_" + strconv.Itoa(i)
		p := body(id, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			mu.Lock()
			sent[id] = t0
			mu.Unlock()
			if !post(client, url, p) {
				tb.Errorf("e2e: %s not answered 200", id)
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	var lat []time.Duration
	for {
		snk.mu.Lock()
		got := len(snk.seen)
		snk.mu.Unlock()
		if got >= len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	snk.mu.Lock()
	for id, t0 := range sent {
		if at, ok := snk.seen[id]; ok {
			lat = append(lat, at.Sub(t0))
		} else {
			lat = append(lat, 10*time.Second) // never arrived: counts as worst
		}
	}
	snk.mu.Unlock()
	return percentile(lat, 0.50), percentile(lat, 0.99)
}

// profile saves CPU (3 s), block and mutex profiles of a running process
// (HOOKQ_BENCH_PROFILE=dir), for `go tool pprof`.
func profile(tb testing.TB, admin, dir, name string) {
	for i := 0; i < 500; i++ {
		if resp, err := http.Get(admin + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, p := range []string{"profile?seconds=3", "block", "mutex"} {
		resp, err := http.Get(admin + "/debug/pprof/" + p)
		if err != nil {
			tb.Log("profile:", err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		os.WriteFile(filepath.Join(dir, name+"-"+strings.SplitN(p, "?", 2)[0]+".pb.gz"), b, 0o644)
	}
}
