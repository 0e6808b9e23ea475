package worker

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/redistest"
)

// Several servers in one process share the queue: every task runs exactly
// once, the concurrency adds up to the configured total, and Shutdown
// returns once all have stopped.
func TestServersShareQueue(t *testing.T) {
	rdb := redistest.Client(t)
	client := asynq.NewClientFromRedisClient(rdb)
	const n = 300
	for i := range n {
		if _, err := client.Enqueue(asynq.NewTask("hookq:app", []byte("x")), asynq.TaskID("t"+strconv.Itoa(i)), asynq.Queue("webhooks")); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	runs := map[string]int{}
	active, peak := 0, 0
	s := NewServers(rdb, 3, asynq.Config{Concurrency: 7, Queues: map[string]int{"webhooks": 1}, TaskCheckInterval: 10 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	if s.Len() != 3 {
		t.Fatalf("Len = %d", s.Len())
	}
	err := s.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		runs[id]++
		active++
		peak = max(peak, active)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		active--
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(runs)
		mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d tasks ran", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Shutdown()
	for id, c := range runs {
		if c != 1 {
			t.Errorf("task %s ran %d times", id, c)
		}
	}
	if peak > 7 {
		t.Errorf("%d handlers ran at once, more than the total concurrency 7", peak)
	}
	client.Close()
}

func TestNewServersNeverMoreThanConcurrency(t *testing.T) {
	if s := NewServers(redistest.Client(t), 8, asynq.Config{Concurrency: 3}); s.Len() != 3 {
		t.Fatalf("Len = %d, want 3 (one handler slot each at least)", s.Len())
	}
}
