package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// answer is what ingest said to one signed delivery during a failover test.
type answer struct {
	id   string
	at   time.Time
	code int
}

// steadyLoad is signed load through ingest: one seed event every 20 ms
// from each of 4 senders, every answer recorded.
type steadyLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	results []answer
}

func startSteadyLoad(s *stack) *steadyLoad {
	l := &steadyLoad{stop: make(chan struct{})}
	for g := 0; g < 4; g++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				id := fmt.Sprintf("evt_%d_%d", g, i)
				code, _, _ := s.post("seed", seedBody(id, "test.failover", `{}`), seedSecret)
				l.mu.Lock()
				l.results = append(l.results, answer{id, time.Now(), code})
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// holds reports whether cond holds of the answers so far.
func (l *steadyLoad) holds(cond func([]answer) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return cond(l.results)
}

// finish stops the senders and returns every answer.
func (l *steadyLoad) finish() []answer {
	close(l.stop)
	l.wg.Wait()
	return l.results
}

// tallyOutage checks that every answer was 200 or 503, logs the failover
// (what promoted the replica, the 503s and the span between the first and
// the last) and fails past 10 s. It returns the acknowledged event ids.
func tallyOutage(t *testing.T, results []answer, promoter string, promoted time.Duration, setting string) []string {
	t.Helper()
	var acked []string
	var firstBad, lastBad time.Time
	bad := 0
	for _, r := range results {
		if r.code == 200 {
			acked = append(acked, r.id)
			continue
		}
		if r.code != 503 {
			t.Errorf("%s: status %d during failover, want 200 or 503", r.id, r.code)
		}
		bad++
		if firstBad.IsZero() {
			firstBad = r.at
		}
		lastBad = r.at
	}
	outage := lastBad.Sub(firstBad)
	t.Logf("failover: %s promoted the replica %.1fs after the kill; ingest answered 503 to %d of %d requests over %.1fs; %d acknowledged",
		promoter, promoted.Seconds(), bad, len(results), outage.Seconds(), len(acked))
	if outage > 10*time.Second {
		t.Errorf("outage %.1fs, want <= 10s with %s", outage.Seconds(), setting)
	}
	return acked
}

// awaitDelivered waits for every acknowledged event to reach the sink: the
// worker recovered without a restart. Events acknowledged after the kill
// must all arrive. Those acknowledged just before it can be gone
// (replication is asynchronous) or wait for Asynq's lease recovery (an
// attempt in flight on the dead master); the short run does not wait for
// them, the long one (4 minutes) does, and returns those never delivered.
func awaitDelivered(t *testing.T, s *stack, results []answer, killed time.Time, long bool) (lost []string) {
	t.Helper()
	wait := 20 * time.Second
	if long {
		wait = 4 * time.Minute
	}
	missing := func() (before, after []string) {
		for _, r := range results {
			if r.code == 200 && len(s.sink.deliveries(r.id)) == 0 {
				if r.at.Before(killed) {
					before = append(before, r.id)
				} else {
					after = append(after, r.id)
				}
			}
		}
		return
	}
	deadline := time.Now().Add(wait)
	for {
		b, a := missing()
		if len(a)+len(b) == 0 || (!long && len(a) == 0) || time.Now().After(deadline) {
			t.Logf("acknowledged but not delivered after %v: %d sent before the kill, %d after", wait, len(b), len(a))
			if len(a) > 0 {
				t.Errorf("events acknowledged after the failover never delivered: %v", a[:min(len(a), 10)])
			}
			if long {
				return b
			}
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logDuplicates logs how many acknowledged events were delivered more than once.
func logDuplicates(t *testing.T, s *stack, acked []string) {
	t.Helper()
	dups := 0
	for _, id := range acked {
		if len(s.sink.deliveries(id)) > 1 {
			dups++
		}
	}
	t.Logf("duplicate deliveries: %d", dups)
}
