package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/sign"
)

// TestIngestSIGTERM: SIGTERM to ingest during traffic. Requests in flight at
// that moment (here: some whose bodies are still arriving) are finished and
// answered; new connections are refused; ingest exits 0 within its grace;
// and every event it acknowledged is delivered.
func TestIngestSIGTERM(t *testing.T) {
	sent := &sync.Map{}
	c := startCluster(t, clusterOpts{workers: 1, concurrency: 8}, sent)
	l := newLoad(c.ingestURL, sent, 0) // no retries: ingest is going away
	ctx, cancel := context.WithCancel(context.Background())
	wait := l.run(ctx, 100, 8)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			wait()
		}
	})
	time.Sleep(2 * time.Second)

	// Requests in flight: headers and half the body sent, the rest after SIGTERM.
	type result struct {
		status int
		kind   string
		err    error
	}
	const inflight = 5
	var (
		ids     []string
		results []chan result
		release = make(chan struct{}) // closed after SIGTERM: the bodies' second halves go
	)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < inflight; i++ {
		id := fmt.Sprintf("%sinflight-%d", l.prefix, i)
		body := []byte(fmt.Sprintf(`{"id":%q,"type":"test.inflight","data":{"pad":%q}}`, id, pad))
		sent.Store(id, body)
		h, err := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: chaosSecret, Body: body, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, l.url, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature", h.Get("X-Signature"))
		res := make(chan result, 1)
		go func() {
			resp, err := client.Do(req)
			if err != nil {
				res <- result{err: err}
				return
			}
			defer resp.Body.Close()
			var r struct{ Status, Error string }
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			json.Unmarshal(b, &r)
			res <- result{status: resp.StatusCode, kind: r.Status + r.Error}
		}()
		go func() {
			pw.Write(body[:len(body)/2]) // blocks until the transport reads it
			<-release
			pw.Write(body[len(body)/2:])
			pw.Close()
		}()
		ids, results = append(ids, id), append(results, res)
	}
	time.Sleep(500 * time.Millisecond) // ingest has read their headers and is reading their bodies

	ackedBefore := l.ackedCount()
	c.ingest.killed = true // an expected exit
	if err := c.ingest.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	time.Sleep(500 * time.Millisecond)
	close(release)
	inflightAcked := 0
	for i, res := range results {
		select {
		case r := <-res:
			if r.err != nil || r.status != 200 || r.kind != "accepted" {
				t.Errorf("in-flight request %s at SIGTERM: got %d %q %v, want 200 accepted", ids[i], r.status, r.kind, r.err)
				continue
			}
			inflightAcked++
			l.mu.Lock()
			l.acked[ids[i]] = ack{at: time.Now(), kind: "accepted", tries: 1}
			l.mu.Unlock()
		case <-time.After(15 * time.Second):
			t.Errorf("in-flight request %s: no answer 15 s after SIGTERM", ids[i])
		}
	}

	select {
	case <-c.ingest.done:
	case <-time.After(15 * time.Second):
		t.Fatal("ingest still running 15 s after SIGTERM (grace is 10 s)")
	}
	exitAfter := time.Since(termAt)
	if c.ingest.err != nil {
		t.Errorf("ingest exit after SIGTERM: %v, want status 0", c.ingest.err)
	}
	cancel()
	wait()
	stopped = true
	// Gone: new connections are refused.
	if status, kind, err := l.post([]byte(`{"id":"after-exit","type":"test.after"}`)); err == nil {
		t.Errorf("after exit ingest still answers: %d %s", status, kind)
	}

	acked := l.ackedSnapshot()
	deadline := time.Now().Add(60 * time.Second)
	var miss []string
	for {
		miss = missing(acked, c.sink.snapshot())
		if len(miss) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.mu.Lock()
	report := fmt.Sprintf("\n==== ingest SIGTERM report ====\n"+
		"acknowledged             %d (%d before SIGTERM, %d in-flight requests of %d finished after it)\n"+
		"delivered at least once  %d\nLOST                     %d\n"+
		"refused/closed after SIGTERM (not acknowledged) %d transport errors, %d other answers\n"+
		"ingest exited            %v after SIGTERM (%s)\n",
		len(acked), ackedBefore, inflightAcked, inflight, len(acked)-len(miss), len(miss),
		l.transportErrs, l.otherErrs+l.answered503, exitAfter.Round(time.Millisecond), exitStatus(c.ingest.err))
	l.mu.Unlock()
	t.Log(report)
	if len(miss) > 0 {
		t.Errorf("%d acknowledged events lost, e.g. %s", len(miss), strings.Join(miss[:min(10, len(miss))], ", "))
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return errString(err)
}
