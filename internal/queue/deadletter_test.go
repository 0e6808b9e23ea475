package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	rdb := redistest.Start(t).Client()
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

	dl := queue.NewDeadLetters(rdb)
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
		trimmed, err := dl.Record(ctx, id, "app", e, cause)
		if err != nil {
			t.Error(err)
		}
		predicted <- trimmed
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
