package loadgen_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/loadgen"
)

func TestRun(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]bool{}
	var n int
	send := func(_ context.Context, id, typ string, body []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if gjson.GetBytes(body, "id").String() != id || typ != "payment_success" || len(body) < 900 {
			t.Errorf("event %s %s: body %d bytes %.80s", id, typ, len(body), body)
		}
		if ids[id] {
			t.Errorf("id %s sent twice", id)
		}
		ids[id] = true
		if n%4 == 0 {
			return 0, errors.New("no answer")
		}
		return 200, nil
	}
	t.Run("Rate", func(t *testing.T) {
		res, err := loadgen.Run(t.Context(), send, loadgen.Options{Type: "payment_success", Rate: 100,
			Duration: 300 * time.Millisecond, Concurrency: 4, Size: 1024, Run: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		got := len(res.Latencies)
		// 100/s for 0.3 s: about 30, never much more (the ticker bounds it).
		if got < 5 || got > 35 || res.Statuses["200"]+res.Statuses["error"] != got || res.Statuses["error"] == 0 {
			t.Errorf("%d requests, statuses %v", got, res.Statuses)
		}
		var out strings.Builder
		res.WriteText(&out)
		if !strings.Contains(out.String(), "req/s") || !strings.Contains(out.String(), "  200: ") {
			t.Errorf("text:\n%s", out.String())
		}
	})
	t.Run("ErrBounds", func(t *testing.T) {
		if _, err := loadgen.Run(t.Context(), send, loadgen.Options{Duration: time.Hour, Concurrency: 1}); err == nil {
			t.Error("an hour-long run was accepted")
		}
	})
}

func TestPercentile(t *testing.T) {
	r := &loadgen.Result{Latencies: []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	for p, want := range map[float64]time.Duration{0: 1, .5: 6, .9: 10, 1: 10} {
		if got := r.Percentile(p); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if (&loadgen.Result{}).Percentile(.5) != 0 {
		t.Error("empty result has a latency")
	}
}
