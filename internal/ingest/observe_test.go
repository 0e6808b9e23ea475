package ingest

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// Each request leaves one log line naming its outcome; failures of ours
// (5xx) are warnings carrying the error.
func TestWebhookLogLine(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	v, _ := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"s3cret"}})
	src := &Source{Name: "seed", Type: "hmac", Verifier: v, EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"},
		Routes: []Route{{Task: webhook.Task{Route: "all"}}}}
	for _, c := range []struct {
		name    string
		enq     *fakeEnqueuer
		level   zapcore.Level
		outcome webhook.Outcome
		status  int64
	}{
		{"Accepted", &fakeEnqueuer{}, zapcore.InfoLevel, webhook.OutcomeAccepted, 200},
		{"QueueDown", &fakeEnqueuer{err: webhook.ErrQueueUnavailable}, zapcore.WarnLevel, webhook.OutcomeQueueUnavailable, 503},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.TakeAll()
			h := NewServer(zap.New(core), map[string]*Source{"seed": src}, c.enq, nil, nil, Options{RedisTimeout: time.Second})
			do(h, "POST", "/webhooks/seed", []byte(`{"id":"evt_log","type":"t"}`), "s3cret")
			got := logs.FilterMessage("webhook").AllUntimed()
			if len(got) != 1 {
				t.Fatalf("%d webhook lines, want 1", len(got))
			}
			f := got[0].ContextMap()
			if got[0].Level != c.level || f["reason"] != string(c.outcome) || f["status"] != c.status || f["event_id"] != "evt_log" || f["source"] != "seed" {
				t.Fatalf("line = %v %v", got[0].Level, f)
			}
			if _, hasErr := f["error"]; hasErr != (c.status >= 500) {
				t.Fatalf("error field present = %v for status %d", hasErr, c.status)
			}
		})
	}
}
