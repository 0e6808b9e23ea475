package bench

import (
	"bytes"
	"context"
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

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/proctest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
)

const secret = "bench-secret"

// body is a realistic ~1 KB provider event (Stripe-shaped, random ids and
// values), so compression sees what production sees, not padding.
func body(id string, r *rand.Rand) []byte {
	rs := func(n int) string {
		const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = a[r.IntN(len(a))]
		}
		return string(b)
	}
	amount := 100 + r.IntN(900000)
	return []byte(`{"id":"` + id + `","object":"event","api_version":"2024-06-20","created":` + strconv.FormatInt(1733100000+r.Int64N(100000), 10) +
		`,"type":"payment_intent.succeeded","livemode":false,"pending_webhooks":1,"request":{"id":"req_` + rs(14) + `","idempotency_key":"` + rs(8) + "-" + rs(4) + "-" + rs(4) + "-" + rs(12) +
		`"},"data":{"object":{"id":"pi_` + rs(24) + `","object":"payment_intent","amount":` + strconv.Itoa(amount) + `,"amount_capturable":0,"amount_received":` + strconv.Itoa(amount) +
		`,"capture_method":"automatic","client_secret":"pi_` + rs(24) + `_secret_` + rs(25) + `","confirmation_method":"automatic","created":` + strconv.FormatInt(1733100000+r.Int64N(100000), 10) +
		`,"currency":"pkr","customer":"cus_` + rs(14) + `","description":"Order #` + strconv.Itoa(r.IntN(1000000)) + `","latest_charge":"ch_` + rs(24) +
		`","metadata":{"order_id":"ord_` + rs(10) + `","cart_id":"` + rs(16) + `"},"payment_method":"pm_` + rs(24) + `","payment_method_types":["card"],"receipt_email":"` + rs(8) + `@example.com",` +
		`"shipping":{"address":{"city":"Lahore","country":"PK","line1":"` + strconv.Itoa(r.IntN(999)) + ` Mall Road","postal_code":"` + strconv.Itoa(54000+r.IntN(999)) + `"},"name":"` + rs(6) + " " + rs(9) + `"},` +
		`"status":"succeeded","statement_descriptor":null,"transfer_group":null,"next_action":null,"on_behalf_of":null,"review":null,"setup_future_usage":null,"source":null}},"previous_attributes":null}`)
}

// sink is the forward destination every drain delivers to: it counts
// deliveries and records when each latency probe arrives.
type sink struct {
	n     atomic.Int64
	first atomic.Int64 // unix ns of the first delivery since reset
	mu    sync.Mutex
	seen  map[string]time.Time
	URL   string
	srv   *http.Server
}

func newSink(tb testing.TB) *sink {
	s := &sink{seen: map[string]time.Time{}}
	var base string
	s.srv, base = proctest.Serve(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		io.Copy(io.Discard, r.Body)
		if id := r.Header.Get("X-Hookq-Event-Id"); strings.HasPrefix(id, "lat_") {
			s.mu.Lock()
			if _, ok := s.seen[id]; !ok {
				s.seen[id] = now
			}
			s.mu.Unlock()
		}
		s.first.CompareAndSwap(0, now.UnixNano())
		s.n.Add(1)
	}))
	s.URL = base + "/hook"
	return s
}

func (s *sink) reset() { s.n.Store(0); s.first.Store(0) }

// drainRate waits until the sink has seen want deliveries (or the limit
// passes) and returns deliveries per second from the first one to the last.
func (s *sink) drainRate(tb testing.TB, want int64, limit time.Duration) float64 {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for s.n.Load() < want {
		if time.Now().After(deadline) {
			tb.Fatalf("drain: %d of %d delivered within %s", s.n.Load(), want, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(time.Unix(0, s.first.Load()))
	return float64(want) / el.Seconds()
}

// load sends signed events from conns keep-alive connections for d and
// returns answered-200 requests per second and the count.
func load(tb testing.TB, url string, conns int, d time.Duration, prefix string) (rate float64, ok int64) {
	tb.Helper()
	return loadMany(tb, []string{url}, conns, d, prefix)
}

// loadMany is load with the connections spread round-robin over urls.
func loadMany(tb testing.TB, urls []string, conns int, d time.Duration, prefix string) (rate float64, ok int64) {
	tb.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			for i := 0; time.Now().Before(stop); i++ {
				p := body(prefix+strconv.Itoa(c)+"_"+strconv.Itoa(i), r)
				if !post(client, urls[c%len(urls)], p) {
					bad.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		tb.Errorf("load %v: %d requests not answered 200", urls, bad.Load())
	}
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load()
}

func post(client *http.Client, url string, p []byte) bool {
	req, err := proctest.SignedRequest(url, p, secret)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200
}

// proc is one hookq binary.
type proc struct {
	*proctest.Proc
	cmd *exec.Cmd
}

// start runs binDir/args[0] with args[1:]; redisURL, when set, is REDIS_URL.
// The test's end stops it with SIGTERM.
func start(tb testing.TB, args []string, redisURL string) *proc {
	tb.Helper()
	env := os.Environ()
	if redisURL != "" {
		env = append(env, "REDIS_URL="+redisURL)
	}
	p := proctest.Start(tb, filepath.Join(binDir, args[0]), proctest.Options{Args: args[1:], Env: env, MaxLog: 1 << 20})
	tb.Cleanup(func() { p.Stop(15 * time.Second) })
	return &proc{Proc: p, cmd: p.Cmd}
}

func (p *proc) stop() { p.Stop(15 * time.Second) }

func waitHTTP(tb testing.TB, url string, limit time.Duration) {
	tb.Helper()
	if !proctest.WaitOK(url, limit) {
		tb.Fatalf("%s not ready within %s", url, limit)
	}
}

func freeAddr(tb testing.TB) string { return "127.0.0.1:" + strconv.Itoa(redistest.FreePort(tb)) }

// usedMemory is Redis used_memory without client buffers and AOF buffers
// (which follow connections and write bursts, not stored data), after
// letting lazy frees settle.
func usedMemory(tb testing.TB, rdb *redis.Client) int64 {
	tb.Helper()
	time.Sleep(300 * time.Millisecond)
	s, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	return infoInt(s, "used_memory") - infoInt(s, "mem_clients_normal") - infoInt(s, "mem_not_counted_for_evict")
}

func infoInt(info, key string) int64 {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// commandCalls sums INFO commandstats calls: every command Redis ran,
// including those inside scripts.
func commandCalls(tb testing.TB, rdb *redis.Client) map[string]int64 {
	tb.Helper()
	s, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range strings.Split(s, "\r\n") {
		name, rest, ok := strings.Cut(l, ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
		out[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return out
}

func diffCalls(before, after map[string]int64) (total int64, top string) {
	type kv struct {
		k string
		v int64
	}
	var l []kv
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			l = append(l, kv{k, d})
			total += d
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	var b strings.Builder
	for i, e := range l {
		if i == 8 {
			break
		}
		fmt.Fprintf(&b, "%s=%d ", e.k, e.v)
	}
	return total, b.String()
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// overloadResult is what an open-loop burst got back.
type overloadResult struct {
	sent, ok, shed, other int64
	lost                  int           // 200s whose dedupe mark (written with the tasks) is absent
	p99                   time.Duration // of every answered request
	firstOther            string        // what the first answer neither 200 nor 503 + Retry-After was
}

// overload offers rate requests/s for d, open loop: request i is sent at
// start + i/rate whatever happened to earlier ones, from up to 512
// outstanding requests (below ingest.max_connections: a connection past
// that waits in the kernel's accept queue, which is not what this measures). 503s must carry Retry-After; every 200 must have
// its event's dedupe mark, which the same script writes with its tasks.
func overload(tb testing.TB, rdb *redis.Client, url string, rate float64, d time.Duration) overloadResult {
	tb.Helper()
	const outstanding = 512
	tr := &http.Transport{MaxIdleConnsPerHost: outstanding, MaxConnsPerHost: outstanding}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	total := int64(rate * d.Seconds())
	var next atomic.Int64
	var res overloadResult
	var mu sync.Mutex
	var lat []time.Duration
	var okIDs []string
	var wg sync.WaitGroup
	start := time.Now()
	for g := range outstanding {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 11))
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
				id := "ovl_" + strconv.FormatInt(i, 10)
				p := body(id, r)
				req, _ := proctest.SignedRequest(url, p, secret)
				t0 := time.Now()
				resp, err := client.Do(req)
				took := time.Since(t0)
				status, retryAfter, what := 0, "", fmt.Sprint(err)
				if err == nil {
					what = resp.Status
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status, retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				mu.Lock()
				res.sent++
				switch {
				case status == http.StatusOK:
					res.ok++
					okIDs = append(okIDs, id)
					lat = append(lat, took)
				case status == http.StatusServiceUnavailable && retryAfter != "":
					res.shed++
					lat = append(lat, took)
				default:
					if res.other++; res.other == 1 {
						res.firstOther = what
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.p99 = percentile(lat, 0.99)
	ctx := context.Background()
	for len(okIDs) > 0 {
		n := min(len(okIDs), 1000)
		pipe := rdb.Pipeline()
		cmds := make([]*redis.BoolCmd, n)
		for i, id := range okIDs[:n] {
			// The bench's window is 72h (bench_test.go): the mark is a
			// field of the current bucket (queue/marks.go).
			b := queue.Shards{}.MarkBuckets("seed", id, 72*time.Hour, time.Now())
			cmds[i] = pipe.HExists(ctx, b[len(b)-2], id)
		}
		pipe.Exec(ctx)
		for _, c := range cmds {
			if !c.Val() {
				res.lost++
			}
		}
		okIDs = okIDs[n:]
	}
	return res
}

// cpuSeconds is the user+system CPU time a process has used so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 12th and 13th of them, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// redisCPU is Redis's own user+system CPU seconds so far.
func redisCPU(tb testing.TB, rdb *redis.Client) float64 {
	tb.Helper()
	s, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		for _, l := range strings.Split(s, "\r\n") {
			if v, ok := strings.CutPrefix(l, k+":"); ok {
				f, _ := strconv.ParseFloat(v, 64)
				sum += f
			}
		}
	}
	return sum
}
