package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// Record's trim prediction is checked against what a real Asynq server then
// does when it archives the task: the predicted ids are exactly those gone.
func TestDeadLetterTrimPrediction(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	archived := "asynq:{" + queue.Queue + "}:archived"
	now := time.Now()
	// One entry past 90 days and 9,999 recent: archiving one more trims the
	// expired one and, by size, the oldest recent one.
	var zs []redis.Z
	for i := 0; i < 10000; i++ {
		age := time.Duration(10000-i) * time.Second
		if i < 1 {
			age = 91 * 24 * time.Hour
		}
		zs = append(zs, redis.Z{Score: float64(now.Add(-age).Unix()), Member: "old-" + strconv.Itoa(i)})
	}
	rdb.ZAdd(ctx, archived, zs...)

	dl := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{})
	ev := event("evt_dead")
	if ok, err := queue.NewEnqueuer(rdb).Enqueue(ctx, ev, time.Hour, []webhook.Task{{Route: "app", Timeout: 5 * time.Second}}, nil); err != nil || ok {
		t.Fatalf("enqueue: %v %v", ok, err)
	}
	predicted := make(chan []string, 1)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{queue.Queue: 1}, Concurrency: 1,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel})
	cause := errors.New("destination said 410")
	srv.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		e, _ := webhook.Decode(task.Payload())
		id, _ := asynq.GetTaskID(ctx)
		trims, err := dl.Record(ctx, webhook.DeadLetter{TaskID: id, Route: "app", Payload: task.Payload(), Event: e, Cause: cause})
		if err != nil {
			t.Error(err)
		}
		predicted <- trims.Archive
		return fmt.Errorf("%w: %w", cause, asynq.SkipRetry)
	}))
	defer srv.Shutdown()
	var want []string
	select {
	case want = <-predicted:
	case <-time.After(10 * time.Second):
		t.Fatal("task not processed")
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	taskID := webhook.TaskID("stripe", "app", "evt_dead")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if info, err := insp.GetTaskInfo(queue.Queue, taskID); err == nil && info.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("task not archived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var gone []string
	for _, z := range zs {
		if rdb.ZScore(ctx, archived, z.Member.(string)).Err() == redis.Nil {
			gone = append(gone, z.Member.(string))
		}
	}
	if diff := cmp.Diff(gone, want); diff != "" {
		t.Fatalf("trimmed ids (-actual +predicted):\n%s", diff)
	}
	if len(want) != 2 { // one expired + one over the size cap
		t.Fatalf("predicted %v", want)
	}
	// The event survives in the stream, payload and cause included.
	msgs := rdb.XRange(ctx, queue.DeadLetterStream, "-", "+").Val()
	if len(msgs) != 1 || msgs[0].Values["task_id"] != taskID || msgs[0].Values["error"] != cause.Error() {
		t.Fatalf("stream = %+v", msgs)
	}
	if e, err := webhook.Decode([]byte(msgs[0].Values["envelope"].(string))); err != nil || string(e.Body) != string(ev.Body) {
		t.Fatalf("stream envelope: %v %v", e, err)
	}
}

// The stream stays within its byte and entry bounds: the oldest entries go,
// each reported, the newest is always kept, and the byte count matches what
// the stream holds.
func TestDeadLetterStreamBounded(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	const maxBytes = 64 << 10
	dl := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{MaxBytes: maxBytes, MaxEntries: 50})
	body := make([]byte, 10<<10) // random: envelopes are stored compressed
	r := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	var reported []string
	for i := 0; i < 40; i++ {
		ev := &webhook.Event{Source: "stripe", ID: fmt.Sprintf("evt_%02d", i), Type: "t", Body: body}
		trims, err := dl.Record(ctx, webhook.DeadLetter{TaskID: webhook.TaskID("stripe", "app", ev.ID), Route: "app", Event: ev, Cause: errors.New("410")})
		if err != nil {
			t.Fatal(err)
		}
		reported = append(reported, trims.Stream...)
		entries, bytes, err := dl.StreamSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bytes > maxBytes {
			t.Fatalf("after %d records: %d bytes in the stream, over the %d bound", i+1, bytes, maxBytes)
		}
		if int(entries)+len(reported) != i+1 {
			t.Fatalf("after %d records: %d entries + %d reported trims", i+1, entries, len(reported))
		}
	}
	msgs := rdb.XRange(ctx, queue.DeadLetterStream, "-", "+").Val()
	var sum int64
	for _, m := range msgs {
		for k, v := range m.Values {
			sum += int64(len(k) + len(v.(string)))
		}
	}
	if _, bytes, _ := dl.StreamSize(ctx); bytes != sum {
		t.Fatalf("byte counter %d, stream holds %d", bytes, sum)
	}
	if len(reported) < 30 || !strings.HasSuffix(reported[0], " stripe:app:evt_00") {
		t.Fatalf("trims reported: %d, first %q", len(reported), reported)
	}
	if last := msgs[len(msgs)-1].Values["event_id"]; last != "evt_39" {
		t.Fatalf("newest entry = %v", last)
	}

	// The entry bound applies too, and the newest entry survives even alone over the byte bound.
	dl = queue.NewDeadLetters(rdb, queue.DeadLetterLimits{MaxBytes: 1 << 20, MaxEntries: 3})
	huge := &webhook.Event{Source: "stripe", ID: "evt_huge", Type: "t", Body: make([]byte, 2<<20)}
	if _, err := dl.Record(ctx, webhook.DeadLetter{TaskID: "stripe:app:evt_huge", Route: "app", Event: huge, Cause: errors.New("x")}); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(ctx, queue.DeadLetterStream).Val(); n > 3 {
		t.Fatalf("%d entries, bound 3", n)
	}
	if m := rdb.XRevRangeN(ctx, queue.DeadLetterStream, "+", "-", 1).Val(); len(m) != 1 || m[0].Values["event_id"] != "evt_huge" {
		t.Fatal("newest entry trimmed")
	}
}

// A payload that does not decode is kept as it was, with what its task id
// says about it.
func TestDeadLetterUndecodable(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	raw := []byte("\x00not an envelope")
	if _, err := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{}).Record(ctx, webhook.DeadLetter{TaskID: "seed:app:evt:1", Route: "app",
		Payload: raw, Cause: errors.New("bad task envelope")}); err != nil {
		t.Fatal(err)
	}
	m := rdb.XRange(ctx, queue.DeadLetterStream, "-", "+").Val()
	if len(m) != 1 || m[0].Values["envelope"] != string(raw) || m[0].Values["source"] != "seed" || m[0].Values["event_id"] != "evt:1" {
		t.Fatalf("stream = %+v", m)
	}
}
