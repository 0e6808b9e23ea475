package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
)

// TestBenchScale is the scaling curve (make bench-scale): ingest with 1 and 2
// processes behind the same 64 connections, and the drain of that backlog by
// 1, 2 and 4 worker processes, each on a fresh Redis so every run starts from
// the same state.
func TestBenchScale(t *testing.T) {
	if binDir == "" || os.Getenv("HOOKQ_BENCH_SCALE") == "" {
		t.Skip("set HOOKQ_BENCH=1 HOOKQ_BENCH_SCALE=1 (make bench-scale)")
	}
	d := seconds()
	var out strings.Builder
	fmt.Fprintf(&out, "\nhookq scaling (%s per ingest run, 1 KB signed JSON, Redis AOF everysec)\n\n| processes | ingest req/s | worker drain tasks/s |\n|---|---|---|\n", d)
	ingestRate := map[int]float64{}
	drainRate := map[int]float64{}
	for _, n := range []int{1, 2} {
		ingestRate[n], _ = scaleRun(t, n, 0, d)
	}
	for _, n := range []int{1, 2, 4} {
		_, drainRate[n] = scaleRun(t, 1, n, d)
	}
	for _, n := range []int{1, 2, 4} {
		ing := "-"
		if r, ok := ingestRate[n]; ok {
			ing = fmt.Sprintf("%.0f", r)
		}
		fmt.Fprintf(&out, "| %d | %s | %.0f |\n", n, ing, drainRate[n])
	}
	fmt.Println(out.String())
	if dir := os.Getenv("HOOKQ_BENCH_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "bench-scale.md"), []byte(out.String()), 0o644)
	}
}

// scaleRun loads ingests ingest processes (connections spread over them) for
// d, then, when workers > 0, drains the backlog with that many workers.
func scaleRun(t *testing.T, ingests, workers int, d time.Duration) (ingest, drain float64) {
	srv := redistest.Start(t, redistest.WithArgs("--appendonly", "yes", "--appendfsync", "everysec", "--hash-max-listpack-value", "2048"))
	snk := newSink(t)
	var urls []string
	var procs []*proc
	for range ingests {
		cfg, ingestURL, ingestAdm, _ := writeConfig(t, snk.URL)
		p := start(t, []string{"ingest", "-config", cfg}, srv.URL())
		waitHTTP(t, ingestAdm+"/readyz", 20*time.Second)
		urls = append(urls, ingestURL+"/webhooks/seed")
		procs = append(procs, p)
	}
	ingest, accepted := loadMany(t, urls, 64, d, fmt.Sprintf("s%d_%d_", ingests, workers))
	for _, p := range procs {
		p.stop()
	}
	if workers == 0 {
		return ingest, 0
	}
	for range workers {
		cfg, _, _, _ := writeConfig(t, snk.URL)
		start(t, []string{"worker", "-config", cfg}, srv.URL())
	}
	drain = snk.drainRate(t, accepted, 5*time.Minute)
	t.Logf("ingest x%d: %.0f req/s; workers x%d: %.0f tasks/s", ingests, ingest, workers, drain)
	return ingest, drain
}
