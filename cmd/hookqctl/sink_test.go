package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/proctest"
)

// TestSink: the sink prints what it receives and answers -status; a body
// over ingest's default limit gets a 413.
func TestSink(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out proctest.Buffer // the sink's handler writes, the test reads
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sink", "-listen", "127.0.0.1:0", "-status", "202"}, func(string) string { return "" }, &out, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sink: %v", err)
		}
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("the sink did not say where it listens: %q", out.String())
	}
	for _, tc := range []struct {
		name string
		size int
		want int
	}{{"Small", 10, 202}, {"TooLarge", sinkMaxBody + 1, http.StatusRequestEntityTooLarge}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, base+"/hook", strings.NewReader(strings.Repeat("x", tc.size)))
			req.Header.Set("X-Hookq-Event-Id", "evt_"+tc.name)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if !strings.Contains(out.String(), "sink: POST /hook source= event=evt_"+tc.name) {
				t.Errorf("not printed:\n%.300s", out.String())
			}
		})
	}
}
