package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// Seen reports, without writing anything, whether Enqueue would answer
// duplicate for the event on these routes: its dedupe mark exists within
// window, or a task
// for one of the routes still exists. It is a snapshot: Enqueue alone
// decides atomically. Reconciliation uses it where it cannot enqueue itself
// (a dry run, or a GitHub delivery that only GitHub can resend, signed).
func (q *Enqueuer) Seen(ctx context.Context, source, eventID string, window time.Duration, routes []string) (bool, error) {
	qname := q.shards.For(source, eventID)
	// Two reads, each of one slot: EXISTS of the plain keys, then the buckets.
	keys := []string{legacyMarkKey(qname, source, eventID)}
	for _, r := range routes {
		keys = append(keys, TaskKey(qname, webhook.TaskID(source, r, eventID)))
	}
	n, err := q.rdb.Exists(ctx, keys...).Result()
	if err == nil && n == 0 {
		buckets, _ := markBuckets(qname, source, eventID, window, time.Now())
		n, err = markedScript.Run(ctx, q.rdb, append([]string{keys[0]}, buckets...), eventID).Int64()
	}
	if err != nil {
		return false, fmt.Errorf("queue: seen %s/%s: %w: %v", source, eventID, webhook.ErrQueueUnavailable, err)
	}
	return n > 0, nil
}
