package ingest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// fakeTokens binds like queue.Tokens, in memory.
type fakeTokens struct {
	mu    sync.Mutex
	bound map[string][32]byte
}

func (f *fakeTokens) Bind(_ context.Context, source, token string, h [32]byte, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bound == nil {
		f.bound = map[string][32]byte{}
	}
	k := source + ":" + token
	if old, ok := f.bound[k]; ok && old != h {
		return webhook.ErrInvalidSignature
	}
	f.bound[k] = h
	return nil
}

func mailgunBody(ts, token, id, event string) []byte {
	m := hmac.New(sha256.New, []byte("mg-key"))
	m.Write([]byte(ts + token))
	return []byte(`{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + hex.EncodeToString(m.Sum(nil)) +
		`"},"event-data":{"id":"` + id + `","event":"` + event + `"}}`)
}

// A genuine Mailgun delivery binds its token to its body before anything
// else can happen to it, so neither an `ignored` answer nor a 503 leaves the
// token free to carry other data.
func TestMailgunTokenBoundBeforeRouting(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"mg-key"}})
	if err != nil {
		t.Fatal(err)
	}
	src := &Source{Name: "mg", Type: "mailgun", Verifier: v, Format: verify.FormatJSON,
		EventID: verify.Field{JSON: "event-data.id"}, EventType: verify.Field{JSON: "event-data.event"},
		Routes: []Route{{Events: []string{"delivered"}, Task: webhook.Task{Route: "r"}}}}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for _, c := range []struct {
		name  string
		enq   *fakeEnqueuer
		first []byte
		want  int
	}{
		{"AfterIgnored", &fakeEnqueuer{}, mailgunBody(ts, "tok-ignored", "ev1", "opened"), 200},
		{"After503", &fakeEnqueuer{err: webhook.ErrQueueUnavailable}, mailgunBody(ts, "tok-503", "ev2", "delivered"), 503},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := NewServer(zap.NewNop(), map[string]*Source{"mg": src}, c.enq, &fakeTokens{}, nil, Options{})
			post := func(b []byte) int {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("POST", "/webhooks/mg", bytes.NewReader(b)))
				return w.Code
			}
			if got := post(c.first); got != c.want {
				t.Fatalf("genuine delivery: %d, want %d", got, c.want)
			}
			if got := post(c.first); got != c.want {
				t.Fatalf("retry of it: %d, want %d", got, c.want)
			}
			token := map[string]string{"AfterIgnored": "tok-ignored", "After503": "tok-503"}[c.name]
			if got := post(mailgunBody(ts, token, "ev-forged", "delivered")); got != 401 {
				t.Fatalf("token with other data: %d, want 401", got)
			}
		})
	}
}

// A request without its signature header is refused before one body byte
// is read; bodies beyond MaxConcurrentReads get 503 + Retry-After.
func TestBodyReadGuards(t *testing.T) {
	v, _ := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	src := &Source{Name: "seed", Verifier: v, SignatureHeaders: []string{"X-Signature"}, EventID: verify.Field{JSON: "id"}}
	h := NewServer(zap.NewNop(), map[string]*Source{"seed": src}, &fakeEnqueuer{}, nil, nil, Options{MaxConcurrentReads: 1})

	body := &countingReader{r: strings.NewReader(`{"id":"x"}`)}
	req := httptest.NewRequest("POST", "/webhooks/seed", body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 401 || body.n != 0 {
		t.Fatalf("unsigned: %d after reading %d bytes; want 401 before reading", w.Code, body.n)
	}

	pr, pw := io.Pipe()
	defer pw.Close()
	slow := httptest.NewRequest("POST", "/webhooks/seed", pr)
	slow.Header.Set("X-Signature", "00")
	done := make(chan struct{})
	go func() { h.ServeHTTP(httptest.NewRecorder(), slow); close(done) }()
	pw.Write([]byte("{")) // the slow body now holds the only read slot
	req = httptest.NewRequest("POST", "/webhooks/seed", strings.NewReader(`{}`))
	req.Header.Set("X-Signature", "00")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "overloaded") {
		t.Fatalf("second body while the slot is held: %d %s", w.Code, w.Body.String())
	}
	pw.Close()
	<-done
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// The first allocation is capped whatever Content-Length claims, and a body
// shorter than announced is still read whole.
func TestReadBodyGrows(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 100_000)
	req := httptest.NewRequest("POST", "/", bytes.NewReader(big))
	got, err := readBody(req, 1<<20)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	// A stranger announcing 1 MiB and sending 5 bytes costs kilobytes.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req = httptest.NewRequest("POST", "/", strings.NewReader("short"))
	req.ContentLength = 1 << 20
	got, err = readBody(req, 1<<20)
	runtime.ReadMemStats(&after)
	if err != nil || string(got) != "short" {
		t.Fatalf("short body: %q %v", got, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Fatalf("allocated %d bytes for a 5-byte body announcing 1 MiB", n)
	}
}
