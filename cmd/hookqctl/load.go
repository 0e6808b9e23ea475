package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookq/hookq/internal/sign"
)

// cmdLoad sends unique, correctly signed events to one source at a fixed
// rate (or as fast as it can) for a bounded time, then prints throughput,
// latency percentiles and the answers by status. It targets the ingest of
// the config, normally on loopback.
func cmdLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (env HOOKQ_CONFIG)")
	url := fs.String("url", "", "ingest base URL (default from ingest.listen)")
	source := fs.String("source", "seed", "configured source to send to")
	typ := fs.String("type", "payment_success", "event type")
	rate := fs.Int("rate", 0, "requests per second (0 = as fast as -concurrency allows)")
	dur := fs.Duration("duration", 10*time.Second, "how long to send (at most 10m)")
	conc := fs.Int("concurrency", 32, "concurrent senders")
	size := fs.Int("size", 1024, "approximate body size in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dur <= 0 || *dur > 10*time.Minute || *conc < 1 || *conc > 1024 {
		return errors.New("load: want 0 < -duration <= 10m and 1 <= -concurrency <= 1024")
	}
	s, err := newSender(*cfgPath, *url, getenv)
	if err != nil {
		return err
	}
	var src *sign.Request
	for _, c := range s.cfg.Sources {
		if c.Name == *source {
			v := c.Verifier
			src = &sign.Request{Type: v.Type, Secret: string(v.Secrets[0]), Header: v.Header, Prefix: v.Prefix,
				Algorithm: v.Algorithm, Encoding: v.Encoding, TimestampHeader: v.TimestampHeader, SignedPayload: v.SignedPayload,
				URL: v.URL, BodyFormat: c.BodyFormat}
		}
	}
	if src == nil {
		return fmt.Errorf("load: source %q is not in the config", *source)
	}
	if err := s.cfg.needSecrets(*source); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	pad := string(bytes.Repeat([]byte("x"), max(0, *size-120)))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	run := newID("")[:8]

	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(*rate))
		defer t.Stop()
		tick = t.C
	}
	var seq atomic.Int64
	var mu sync.Mutex
	statuses := map[string]int{}
	var lat []time.Duration
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						return
					}
				} else if ctx.Err() != nil {
					return
				}
				id := fmt.Sprintf("evt_load_%s_%d", run, seq.Add(1))
				body, _ := json.Marshal(map[string]any{"id": id, "type": *typ, "data": map[string]any{"payment_id": "pay_" + id, "amount": 5000, "currency": "PKR", "pad": pad}})
				r := *src
				r.Body, r.Now, r.EventID, r.EventType = body, time.Now(), id, *typ
				signed, err := sign.Build(r)
				if err != nil {
					return
				}
				target := s.base + "/webhooks/" + *source
				if signed.Query != "" {
					target += "?" + signed.Query
				}
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(signed.Body))
				req.Header = signed.Header
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				key := "error"
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					key = fmt.Sprint(resp.StatusCode)
				}
				mu.Lock()
				statuses[key]++
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Fprintf(stdout, "sent %d requests in %v: %.0f req/s\n", len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency p50 %v  p90 %v  p99 %v  max %v\n", pct(.5), pct(.9), pct(.99), pct(1))
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %s: %d\n", k, statuses[k])
	}
	return nil
}
