package obs

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestLoggerSamplesChattyLinesOnly(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLoggerWith(&buf, "info", LogOptions{SampleFirst: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		log.Info("task done", zap.Int("i", i))
		log.Error("task failed", zap.Int("i", i))
	}
	log.Info("listening")
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m struct{ Msg string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		counts[m.Msg]++
	}
	// Within one second: the first 10, then 1 in 100 of the other 990.
	if counts["task done"] < 10 || counts["task done"] > 30 {
		t.Errorf("info lines kept: %d of 1000, want about 20", counts["task done"])
	}
	if counts["task failed"] != 1000 {
		t.Errorf("error lines kept: %d of 1000, want all", counts["task failed"])
	}
	if counts["listening"] != 1 {
		t.Errorf("another message was sampled away: %v", counts)
	}
}

func TestLoggerConsole(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLoggerWith(&buf, "info", LogOptions{Console: true})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("task done", zap.String("route", "payments"))
	out := buf.String()
	if strings.HasPrefix(out, "{") || !strings.Contains(out, "INFO") || !strings.Contains(out, "task done") || !strings.Contains(out, `"route": "payments"`) {
		t.Errorf("console line: %q", out)
	}
}

// Buffered info lines reach the writer within the flush interval, in one
// write, and before any warning that follows them; Sync flushes the rest.
func TestLoggerBuffered(t *testing.T) {
	w := &countingWriter{}
	log, err := NewLoggerWith(w, "info", LogOptions{FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		log.Info("webhook", zap.Int("i", i))
	}
	if n := w.lines(); n != 0 {
		t.Fatalf("%d info lines written before the flush interval", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for w.lines() < 100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n, writes := w.lines(), w.writes(); n != 100 || writes > 3 {
		t.Fatalf("after the interval: %d lines in %d writes, want 100 in a few", n, writes)
	}
	log.Info("before")
	log.Warn("loud")
	out := w.String()
	if !strings.Contains(out, `"msg":"loud"`) || strings.Index(out, `"msg":"before"`) > strings.Index(out, `"msg":"loud"`) ||
		!strings.Contains(out, `"msg":"before"`) {
		t.Fatalf("a warning must be written at once, after the buffered lines:\n%s", out[max(0, len(out)-300):])
	}
	log.Info("last")
	log.Sync()
	if !strings.Contains(w.String(), `"msg":"last"`) {
		t.Fatal("Sync did not flush")
	}
}

type countingWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	return w.b.Write(p)
}

func (w *countingWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }
func (w *countingWriter) lines() int     { return strings.Count(w.String(), "\n") }
func (w *countingWriter) writes() int    { w.mu.Lock(); defer w.mu.Unlock(); return w.n }
