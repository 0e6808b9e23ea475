// Package loadgen sends unique events at a fixed rate (or as fast as its
// senders allow) for a bounded time and measures the answers: what
// `hookqctl load` and `make load` run against an ingest.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Send sends one event and returns the status ingest answered; an error
// means no answer. loadgen never reads the answer's body.
type Send func(ctx context.Context, id, typ string, body []byte) (status int, err error)

// Options bound a run. Zero Rate means as fast as Concurrency allows.
type Options struct {
	Type        string        // event type of every event
	Rate        int           // requests per second, all senders together
	Duration    time.Duration // how long to send, at most 10m
	Concurrency int           // concurrent senders, 1 to 1024
	Size        int           // approximate body size in bytes
	Run         string        // makes the event ids of this run unique: evt_load_<run>_<n>
}

// Result is what a run measured.
type Result struct {
	Elapsed   time.Duration
	Latencies []time.Duration // one per request, ascending
	Statuses  map[string]int  // answers by status code, "error" for none
}

// Run sends events through send until opts.Duration has passed or ctx is
// done. A request in flight when the time is up finishes and is counted.
func Run(ctx context.Context, send Send, opts Options) (*Result, error) {
	if opts.Duration <= 0 || opts.Duration > 10*time.Minute || opts.Concurrency < 1 || opts.Concurrency > 1024 {
		return nil, errors.New("load: want 0 < duration <= 10m and 1 <= concurrency <= 1024")
	}
	pad := string(bytes.Repeat([]byte("x"), max(0, opts.Size-120)))
	stop, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	var tick <-chan time.Time
	if opts.Rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(opts.Rate))
		defer t.Stop()
		tick = t.C
	}
	var seq atomic.Int64
	var mu sync.Mutex
	res := &Result{Statuses: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if tick != nil {
					select {
					case <-tick:
					case <-stop.Done():
						return
					}
				} else if stop.Err() != nil {
					return
				}
				id := fmt.Sprintf("evt_load_%s_%d", opts.Run, seq.Add(1))
				body, _ := json.Marshal(map[string]any{"id": id, "type": opts.Type,
					"data": map[string]any{"payment_id": "pay_" + id, "amount": 5000, "currency": "PKR", "pad": pad}})
				t0 := time.Now()
				status, err := send(ctx, id, opts.Type, body)
				d := time.Since(t0)
				key := "error"
				if err == nil {
					key = strconv.Itoa(status)
				}
				mu.Lock()
				res.Statuses[key]++
				res.Latencies = append(res.Latencies, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res, nil
}

// Percentile returns the latency below which the fraction p of requests
// answered (p in [0,1]; 1 is the maximum).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(float64(len(r.Latencies))*p))]
}

// WriteText prints throughput, latency percentiles and answers by status.
func (r *Result) WriteText(w io.Writer) {
	n := len(r.Latencies)
	fmt.Fprintf(w, "sent %d requests in %v: %.0f req/s\n", n, r.Elapsed.Round(time.Millisecond), float64(n)/r.Elapsed.Seconds())
	fmt.Fprintf(w, "latency p50 %v  p90 %v  p99 %v  max %v\n", r.Percentile(.5), r.Percentile(.9), r.Percentile(.99), r.Percentile(1))
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %d\n", k, r.Statuses[k])
	}
}
