package queue

import (
	"context"
	"fmt"

	"github.com/hookq/hookq/internal/webhook"
)

// Seen reports, without writing anything, whether Enqueue would answer
// duplicate for the event on these routes: its dedupe mark exists, or a task
// for one of the routes still exists. It is a snapshot: Enqueue alone
// decides atomically. Reconciliation uses it where it cannot enqueue itself
// (a dry run, or a GitHub delivery that only GitHub can resend, signed).
func (q *Enqueuer) Seen(ctx context.Context, source, eventID string, routes []string) (bool, error) {
	keys := make([]string, 0, 1+len(routes))
	qname := q.shards.For(source, eventID)
	keys = append(keys, markKey(qname, source, eventID))
	for _, r := range routes {
		keys = append(keys, TaskKey(qname, webhook.TaskID(source, r, eventID)))
	}
	n, err := q.rdb.Exists(ctx, keys...).Result()
	if err != nil {
		return false, fmt.Errorf("queue: seen %s/%s: %w: %v", source, eventID, webhook.ErrQueueUnavailable, err)
	}
	return n > 0, nil
}
