package ctl_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// An event copied to the dead-letter stream can be listed and enqueued again
// after its archived task is gone (trimmed by Asynq or deleted), and never
// while the task still exists.
func TestExportedAndRestore(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	ev := &webhook.Event{Source: "stripe", ID: "evt_gone", Type: "charge.refunded", Body: []byte(`{"id":"evt_gone"}`),
		ContentType: "application/json", ReceivedAt: time.Unix(1_750_000_000, 0).UTC()}
	if _, err := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{}).Record(ctx, webhook.DeadLetter{TaskID: "stripe:app:evt_gone", Route: "app",
		Event: ev, Cause: errors.New("destination answered 410")}); err != nil {
		t.Fatal(err)
	}
	c := ctl.New(rdb, ctl.Topology{Policies: map[string]webhook.Task{"app": {Route: "app", MaxRetry: 3, Timeout: 20 * time.Second}}})
	entries, err := c.Exported(ctx, 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries = %v, %v", entries, err)
	}
	e := entries[0]
	if e.TaskID != "stripe:app:evt_gone" || e.Route != "app" || e.EventType != "charge.refunded" || e.Error != "destination answered 410" ||
		e.Event == nil || string(e.Event.Body) != `{"id":"evt_gone"}` {
		t.Fatalf("entry = %+v", e)
	}

	o, err := c.Restore(ctx, []string{e.StreamID, "0-1"}, nil)
	if err != nil || o.Done != 1 || o.NotFound != 1 || len(o.Failed) != 0 {
		t.Fatalf("restore = %+v, %v", o, err)
	}
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(queue.Queue, "stripe:app:evt_gone")
	if err != nil || info.State != asynq.TaskStatePending || info.Type != "hookq:app" || info.MaxRetry != 3 || info.Timeout != 20*time.Second {
		t.Fatalf("restored task = %+v, %v", info, err)
	}
	// The task exists now: a second restore must not create another.
	o, err = c.Restore(ctx, []string{e.StreamID}, nil)
	if err != nil || o.Done != 0 || len(o.Failed) != 1 || !strings.Contains(o.Failed[0], "still exists") {
		t.Fatalf("second restore = %+v, %v", o, err)
	}
}
