package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// spoolPlan is the spool scenario's timeline.
type spoolPlan struct {
	mode               string
	rate               float64
	senders            int
	stopAt, stopFor    time.Duration // Redis frozen (SIGSTOP)
	killAt, killFor    time.Duration // Redis kill -9, restarted after killFor
	ingestKillAfter    time.Duration // into the kill -9 outage: ingest kill -9 and restart
	sendFor            time.Duration
	drainTimeout       time.Duration
	requireSpooledAcks int
}

func chooseSpoolPlan() spoolPlan {
	if *longFlag || os.Getenv("HOOKQ_CHAOS") == "long" {
		return spoolPlan{mode: "long", rate: 140, senders: 32,
			stopAt: 5 * time.Second, stopFor: 60 * time.Second,
			killAt: 75 * time.Second, killFor: 60 * time.Second, ingestKillAfter: 30 * time.Second,
			sendFor: 145 * time.Second, drainTimeout: 240 * time.Second, requireSpooledAcks: 10000}
	}
	return spoolPlan{mode: "short", rate: 60, senders: 16,
		stopAt: 2 * time.Second, stopFor: 10 * time.Second,
		killAt: 16 * time.Second, killFor: 8 * time.Second, ingestKillAfter: 4 * time.Second,
		sendFor: 27 * time.Second, drainTimeout: 30 * time.Second, requireSpooledAcks: 600}
}

// TestChaosSpool is issue 13's proof under fault: with ingest's spool on,
// Redis frozen (SIGSTOP) and then killed (-9) under steady signed load, and
// ingest itself killed -9 while it spools. Every acknowledged event must be
// delivered, no request may get 503 while the spool has room, and the spool
// must drain once Redis is back.
func TestChaosSpool(t *testing.T) {
	p := chooseSpoolPlan()
	sent := &sync.Map{}
	c := startCluster(t, clusterOpts{workers: 2, concurrency: 8, failRate: 0.05, spool: true}, sent)
	l := newLoad(c.ingestURL, sent, 10)
	t.Logf("chaos spool %s: %.0f events/s from %d senders, logs in %s", p.mode, p.rate, p.senders, c.dir)

	mon := newSpoolMonitor(c.ingestAdm)
	mctx, mstop := context.WithCancel(context.Background())
	defer mstop()
	go mon.run(mctx)

	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	wait := l.run(ctx, p.rate, p.senders)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			wait()
		}
	})
	var timeline []string
	note := func(format string, args ...any) {
		s := fmt.Sprintf("%6.1fs ", time.Since(start).Seconds()) + fmt.Sprintf(format, args...)
		timeline = append(timeline, s)
		t.Log(s)
	}
	at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }

	at(p.stopAt)
	c.redis.Stop()
	note("redis frozen (SIGSTOP), acknowledged so far %d", l.ackedCount())
	at(p.stopAt + p.stopFor)
	c.redis.Cont()
	back1 := time.Now()
	note("redis resumed (SIGCONT)")

	at(p.killAt)
	c.redis.Kill()
	note("kill -9 redis, acknowledged so far %d", l.ackedCount())
	at(p.killAt + p.ingestKillAfter)
	// A fresh scrape (the monitor's last one may predate the outage): Redis
	// is down, so the spool only grows until the kill.
	before, _ := scrapeGauge(&http.Client{Timeout: 10 * time.Second}, c.ingestAdm+"/metrics", "hookq_spool_records")
	note("kill -9 ingest (pid %d) while it spools: %d records on its disk", c.ingest.cmd.Process.Pid, before)
	t0 := time.Now()
	c.restartIngest()
	note("ingest restarted and ready after %v (Redis still down)", time.Since(t0).Round(time.Millisecond))
	at(p.killAt + p.killFor)
	c.redis.Restart()
	back2 := time.Now()
	note("redis restarted on its data dir")

	at(p.sendFor)
	cancel()
	wait()
	stopped = true
	sendEnd := time.Now()
	note("sending stopped: %d acknowledged, %d of them spooled", l.ackedCount(), l.spooled.Load())

	acked := l.ackedSnapshot()
	var miss []string
	for deadline := sendEnd.Add(p.drainTimeout); ; {
		miss = missing(acked, c.sink.snapshot())
		if len(miss) == 0 && mon.last() == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	deliveredIn := time.Since(sendEnd)
	mstop()
	drain1, n1 := mon.drained(back1, start.Add(p.killAt))
	drain2, n2 := mon.drained(back2, time.Now())

	l.mu.Lock()
	requests, a503, terr, oerr, gaveUp, firstDup := l.requests, l.answered503, l.transportErrs, l.otherErrs, l.gaveUp, len(l.firstDupIDs)
	l.mu.Unlock()
	got := c.sink.snapshot()
	dupEvents := 0
	for id := range acked {
		if got[id].ok > 1 {
			dupEvents++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n==== hookq spool chaos report (%s mode) ====\n", p.mode)
	fmt.Fprintf(&b, "setup                    ingest with spool, 2 workers x 8, Redis AOF always, sink 5%% 500, %.0f events/s by %d senders\n", p.rate, p.senders)
	fmt.Fprintf(&b, "faults                   Redis SIGSTOP %v; Redis kill -9 %v with ingest kill -9 + restart inside it\n", p.stopFor, p.killFor)
	fmt.Fprintf(&b, "events sent              %d (%d HTTP requests)\n", l.next.Load(), requests)
	fmt.Fprintf(&b, "acknowledged             %d (%d answered \"spooled\": true)\n", len(acked), l.spooled.Load())
	fmt.Fprintf(&b, "not delivered at the end %d (see below)\n", len(miss))
	fmt.Fprintf(&b, "503s answered            %d\n", a503)
	fmt.Fprintf(&b, "other errors             transport %d (ingest down during its restart; retried), other statuses %d, gave up %d, \"duplicate\" for a fresh id %d\n", terr, oerr, gaveUp, firstDup)
	fmt.Fprintf(&b, "duplicate deliveries     %d events delivered more than once (at least once)\n", dupEvents)
	fmt.Fprintf(&b, "spool drain after SIGSTOP  %d records in %v (%s)\n", n1, drain1.Round(time.Millisecond), rate(n1, drain1))
	fmt.Fprintf(&b, "spool drain after kill -9  %d records in %v (%s)\n", n2, drain2.Round(time.Millisecond), rate(n2, drain2))
	if len(miss) == 0 {
		fmt.Fprintf(&b, "all delivered            %v after sending stopped\n", deliveredIn.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(&b, "delivery wait ended      %v after sending stopped, %d not delivered yet\n", deliveredIn.Round(100*time.Millisecond), len(miss))
	}
	fmt.Fprintf(&b, "timeline\n  %s\n", strings.Join(timeline, "\n  "))
	t.Log(b.String())

	// Short mode does not wait out Asynq's lease recovery (1-2.5 min) for
	// tasks a worker had fetched when Redis froze: an event whose task is in
	// Redis has left the spool's hands and will run; only one that is
	// neither delivered nor in Redis is lost.
	insp := asynq.NewInspectorFromRedisClient(c.redis.Client())
	var lost, waiting []string
	for _, id := range miss {
		info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID(chaosSource, chaosRoute, id))
		if err != nil || p.mode == "long" {
			lost = append(lost, describeLost(c, insp, id, acked[id], got[id]))
			continue
		}
		waiting = append(waiting, fmt.Sprintf("%s (%s)", id, info.State))
	}
	t.Logf("LOST %d; in Redis but not delivered yet (awaiting Asynq's lease recovery) %d %v", len(lost), len(waiting), waiting[:min(5, len(waiting))])
	if len(lost) > 0 {
		t.Errorf("%d acknowledged events lost:\n  %s", len(lost), strings.Join(lost[:min(10, len(lost))], "\n  "))
	}
	if a503 > 0 {
		t.Errorf("%d requests answered 503 while the spool had room", a503)
	}
	if gaveUp > 0 || oerr > 0 || firstDup > 0 {
		t.Errorf("gave up %d, other statuses %d, duplicate for fresh ids %d", gaveUp, oerr, firstDup)
	}
	if int(l.spooled.Load()) < p.requireSpooledAcks {
		t.Errorf("only %d events were spooled, want >= %d: the outages did not exercise the spool", l.spooled.Load(), p.requireSpooledAcks)
	}
	if n1 == 0 || n2 == 0 || before == 0 {
		t.Errorf("spool never held records in an outage (after SIGSTOP %d, after kill -9 %d, at the ingest kill %d)", n1, n2, before)
	}
	if mon.last() != 0 {
		t.Errorf("spool not empty at the end: %d records", mon.last())
	}
	for _, e := range c.unexpectedExits() {
		t.Errorf("crash: %s", e)
	}
}

func rate(n int, d time.Duration) string {
	if d < 0 {
		return "not drained before the next fault"
	}
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f records/s", float64(n)/d.Seconds())
}

// spoolMonitor samples ingest's hookq_spool_records gauge every 100 ms.
type spoolMonitor struct {
	url string
	mu  sync.Mutex
	s   []sample
}

type sample struct {
	at time.Time
	n  int
}

func newSpoolMonitor(adm string) *spoolMonitor { return &spoolMonitor{url: adm + "/metrics"} }

func (m *spoolMonitor) run(ctx context.Context) {
	client := &http.Client{Timeout: 10 * time.Second} // a frozen Redis slows the queue collector
	for ctx.Err() == nil {
		if n, ok := scrapeGauge(client, m.url, "hookq_spool_records"); ok {
			m.mu.Lock()
			m.s = append(m.s, sample{time.Now(), n})
			m.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *spoolMonitor) last() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.s) == 0 {
		return -1
	}
	return m.s[len(m.s)-1].n
}

// drained says how long after back the spool first read 0 (-1: not before
// until), and its largest size in between (the records drained, plus any
// spooled meanwhile).
func (m *spoolMonitor) drained(back, until time.Time) (time.Duration, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	peak := 0
	for _, s := range m.s {
		if s.at.Before(back.Add(-200 * time.Millisecond)) {
			continue
		}
		if s.at.After(until) {
			break
		}
		if s.n > peak {
			peak = s.n
		}
		if s.n == 0 {
			return s.at.Sub(back), peak
		}
	}
	return -1, peak
}

func scrapeGauge(client *http.Client, url, name string) (int, bool) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int(f), err == nil
		}
	}
	return 0, false
}
