package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// fakeSpooler answers like spool.Spool does while Redis is down.
type fakeSpooler struct {
	fakeEnqueuer
	spooled bool
	err     error
}

func (f *fakeSpooler) EnqueueOrSpool(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (bool, bool, error) {
	f.got = append(f.got, ev)
	return false, f.spooled, f.err
}

func TestSpooledAnswer(t *testing.T) {
	payment := []byte(`{"id":"evt_1","type":"payment_success"}`)
	for _, c := range []struct {
		name   string
		enq    *fakeSpooler
		status int
		want   string
	}{
		{"Spooled", &fakeSpooler{spooled: true}, 200,
			`{"status":"accepted","source":"seed","event_id":"evt_1","event_type":"payment_success","spooled":true}`},
		{"InRedis", &fakeSpooler{}, 200,
			`{"status":"accepted","source":"seed","event_id":"evt_1","event_type":"payment_success"}`},
		{"SpoolFull", &fakeSpooler{err: webhook.ErrQueueUnavailable}, 503,
			`{"error":"queue_unavailable","source":"seed","event_id":"evt_1","event_type":"payment_success"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := do(newTestServer(t, c.enq), "POST", "/webhooks/seed", payment, "s3cret")
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.want {
				t.Fatalf("got %d %s\nwant %d %s", w.Code, w.Body.String(), c.status, c.want)
			}
			if len(c.enq.got) != 1 || len(c.enq.fakeEnqueuer.tasks) != 0 {
				t.Fatalf("EnqueueOrSpool calls %d, Enqueue calls %d; want 1, 0", len(c.enq.got), len(c.enq.fakeEnqueuer.tasks))
			}
		})
	}
}
