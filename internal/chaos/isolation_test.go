package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/worker"
)

// hangSink never answers: it holds each request until the client gives up,
// and records how many it held at once.
type hangSink struct {
	URL        string
	now, peak  atomic.Int64
	held, seen atomic.Int64
}

func newHangSink(t *testing.T) *hangSink {
	t.Helper()
	s := &hangSink{}
	port := redistest.FreePort(t)
	s.URL = "http://127.0.0.1:" + strconv.Itoa(port) + "/hang"
	srv := &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(port), ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				return
			}
			s.seen.Add(1)
			// Read the body first: only then does the server notice the
			// client hanging up and end r.Context().
			io.Copy(io.Discard, r.Body)
			n := s.now.Add(1)
			defer s.now.Add(-1)
			for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
			}
			<-r.Context().Done()
			s.held.Add(1)
		})}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })
	if !pollOK("http://127.0.0.1:"+strconv.Itoa(port)+"/", 5*time.Second) {
		t.Fatal("hang sink did not start")
	}
	return s
}

// isolationRun is one deployment's traffic and what the healthy route saw.
type isolationRun struct {
	name          string
	ds            []time.Duration
	acked         int
	undelivered   int
	hangPeak      int64
	hangAttempts  int64
	fastDelivered int
}

const (
	isoWorkers     = 2
	isoConcurrency = 8
	isoRate        = 20.0 // events/s, each to both routes
	isoSend        = 12 * time.Second
	isoLimit       = 4
)

// runIsolation deploys ingest and two workers with routes "fast" (a healthy
// sink) and "slow" (hanging when hang, else healthy; max_in_flight limit, 0
// none), sends isoRate events/s for isoSend, waits up to drain for the fast
// route's backlog and measures its delivery latency.
func runIsolation(t *testing.T, name string, hang bool, limit int, drain time.Duration) isolationRun {
	sent := &sync.Map{}
	fast := newSink(t, sent, 0, 0, 0)
	var slowURL string
	var hs *hangSink
	if hang {
		hs = newHangSink(t)
		slowURL = hs.URL
	} else {
		slowURL = newSink(t, sent, 0, 0, 0).URL
	}
	d := newDeployment(t, isoConcurrency, []routeSpec{
		{name: "fast", url: fast.URL, timeout: 3 * time.Second},
		{name: "slow", url: slowURL, timeout: 3 * time.Second, maxInFlight: limit},
	})
	in := d.addIngest()
	d.addWorkers(isoWorkers)

	l := newLoad(in.url, sent, 3)
	ctx, cancel := context.WithTimeout(context.Background(), isoSend)
	defer cancel()
	l.run(ctx, isoRate, 8)()
	// The healthy route's backlog, if any, drains; the measure is its latency.
	acked := l.ackedSnapshot()
	deadline := time.Now().Add(drain)
	for len(missing(acked, fast.snapshot())) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	got := fast.snapshot()
	r := isolationRun{name: name, acked: len(acked)}
	r.ds, r.undelivered = deliveryLatencies(acked, got)
	r.fastDelivered = len(r.ds)
	if hs != nil {
		r.hangPeak, r.hangAttempts = hs.peak.Load(), hs.seen.Load()
	}
	for _, e := range d.unexpectedExits() {
		t.Errorf("crash: %s", e)
	}
	return r
}

// TestRouteIsolation is issue 10 item 5: one route's destination hangs;
// with routes[].max_in_flight the other route's delivery latency stays
// within twice its baseline (plus 25 ms, the scale of a worker's pickup of
// an idle queue); without the bound it does not.
func TestRouteIsolation(t *testing.T) {
	// One deployment per subtest: its processes and Redis end with it.
	var base, limited, unbounded isolationRun
	t.Run("Baseline", func(t *testing.T) {
		base = runIsolation(t, "baseline (both healthy, max_in_flight 4)", false, isoLimit, 30*time.Second)
	})
	t.Run("HangLimited", func(t *testing.T) {
		limited = runIsolation(t, "slow route hangs, max_in_flight 4", true, isoLimit, 30*time.Second)
	})
	t.Run("HangUnbounded", func(t *testing.T) {
		unbounded = runIsolation(t, "slow route hangs, no max_in_flight", true, 0, 5*time.Second)
	})
	if t.Failed() || base.acked == 0 || limited.acked == 0 || unbounded.acked == 0 {
		return // a subtest failed or was not selected: nothing to compare
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n==== route isolation: %d workers x concurrency %d, %.0f events/s for %v, each event to routes fast and slow (forward timeout 3s) ====\n",
		isoWorkers, isoConcurrency, isoRate, isoSend)
	fmt.Fprintf(&b, "%-44s %8s %10s %10s %10s %14s %12s\n", "run", "acked", "fast p50", "fast p99", "fast max", "fast late", "slow peak")
	for _, r := range []isolationRun{base, limited, unbounded} {
		fmt.Fprintf(&b, "%-44s %8d %10s %10s %10s %14d %12d\n", r.name, r.acked, ms(quantile(r.ds, 0.5)), ms(quantile(r.ds, 0.99)),
			ms(quantile(r.ds, 1)), r.undelivered, r.hangPeak)
	}
	fmt.Fprintf(&b, "latency: ingest's 200 to the healthy sink's first 2xx; late: not delivered 30 s (unbounded run: 5 s) after the traffic ended, not in the percentiles\n")
	t.Log(b.String())

	for _, r := range []isolationRun{base, limited} {
		if r.acked < int(isoRate*isoSend.Seconds()*0.8) {
			t.Errorf("%s: only %d events acknowledged", r.name, r.acked)
		}
		if r.undelivered > 0 {
			t.Errorf("%s: %d acknowledged events not delivered to the healthy route within 30 s of the traffic's end", r.name, r.undelivered)
		}
	}
	within := func(got, baseline time.Duration) bool { return got <= 2*baseline+25*time.Millisecond }
	for _, q := range []float64{0.5, 0.99} {
		bq, lq, uq := quantile(base.ds, q), quantile(limited.ds, q), quantile(unbounded.ds, q)
		if !within(lq, bq) {
			t.Errorf("p%.0f of the healthy route with max_in_flight: %s, baseline %s: want within 2x baseline + 25 ms", q*100, ms(lq), ms(bq))
		}
		if q == 0.99 && within(uq, bq) && unbounded.undelivered == 0 {
			t.Errorf("without max_in_flight the hanging route did not hurt the healthy one (p99 %s, baseline %s): the test proves nothing", ms(uq), ms(bq))
		}
	}
	if limited.hangPeak > isoLimit || limited.hangPeak == 0 {
		t.Errorf("hanging destination held %d requests at once across %d workers, want 1..%d", limited.hangPeak, isoWorkers, isoLimit)
	}
}

// TestRouteIsolationKilledHolder: a worker killed with -9 while it holds
// leases of a bounded route never releases them; they lapse at their tasks'
// deadline (forward timeout 3 s + 5 s), after which the surviving worker
// uses every slot again. Until then the bound still counts them.
func TestRouteIsolationKilledHolder(t *testing.T) {
	sent := &sync.Map{}
	hs := newHangSink(t)
	d := newDeployment(t, isoConcurrency, []routeSpec{{name: "slow", url: hs.URL, timeout: 3 * time.Second, maxInFlight: isoLimit}})
	in := d.addIngest()
	d.addWorkers(2)
	l := newLoad(in.url, sent, 3)
	ctx, cancel := context.WithCancel(context.Background())
	wait := l.run(ctx, 10, 4)
	defer func() { cancel(); wait() }()

	// peakOver samples the hanging destination's open requests for d.
	peakOver := func(d time.Duration) int64 {
		var peak int64
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			peak = max(peak, hs.now.Load())
		}
		return peak
	}
	before := peakOver(2 * time.Second)
	victim := d.workerEnds[0].proc
	d.kill9(victim)
	killed := time.Now()
	during := peakOver(2 * time.Second) // the victim's leases still count
	time.Sleep(time.Until(killed.Add(9 * time.Second)))
	after := peakOver(3 * time.Second) // lapsed: the survivor fills the bound
	leases := d.redis.Client().ZCard(context.Background(), worker.InflightKey("slow")).Val()
	t.Logf("hanging route, max_in_flight %d, 2 workers: requests at once %d before the kill -9, %d in the 2 s after it, %d from 9 s after it; %d leases now",
		isoLimit, before, during, after, leases)
	if before != isoLimit {
		t.Errorf("before the kill: %d requests at once, want the bound %d", before, isoLimit)
	}
	if after != isoLimit {
		t.Errorf("after the leases' deadline: %d requests at once, want the bound %d (leaked slots?)", after, isoLimit)
	}
	if during > isoLimit || leases > isoLimit {
		t.Errorf("over the bound: %d requests, %d leases", during, leases)
	}
	for _, e := range d.unexpectedExits() {
		t.Errorf("crash: %s", e)
	}
}
