package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is stderr for a logger whose flusher writes from its own
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func bootWith(t *testing.T, logYAML string) (*lockedBuffer, func(msg string), func() error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookq.yaml")
	cfg := "redis: {url: redis://127.0.0.1:1/0}\nlog: {format: json" + logYAML + "}\n" +
		"sources:\n  - {name: s, verifier: {type: hmac, secrets: [x], header: X-Sig}}\n" +
		"routes:\n  - {name: r, source: s, handler: log}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	_, log, err := Boot("test", []string{"-config", path}, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatal(err)
	}
	return &out, func(msg string) { log.Info(msg) }, log.Sync
}

// log.flush_interval (default 10ms) buffers info lines, writes them within
// the interval and on Sync; 0 writes each line at once.
func TestBootLogFlushInterval(t *testing.T) {
	out, info, sync := bootWith(t, ", flush_interval: 1s")
	info("buffered line")
	if strings.Contains(out.String(), "buffered line") {
		t.Fatal("line written before the flush interval")
	}
	sync()
	if !strings.Contains(out.String(), "buffered line") {
		t.Fatal("Sync did not flush the line")
	}

	out, info, _ = bootWith(t, "")
	info("default line")
	deadline := time.Now().Add(time.Second)
	for !strings.Contains(out.String(), "default line") {
		if time.Now().After(deadline) {
			t.Fatal("default flush interval: line not written within 1s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	out, info, _ = bootWith(t, ", flush_interval: 0s")
	info("unbuffered line")
	if !strings.Contains(out.String(), "unbuffered line") {
		t.Fatal("flush_interval 0: line not written at once")
	}
}
