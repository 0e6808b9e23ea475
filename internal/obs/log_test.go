package obs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

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
