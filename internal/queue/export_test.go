package queue

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// ForgetMark deletes an event's dedupe mark as if its window had passed.
func ForgetMark(ctx context.Context, rdb redis.Cmdable, source, eventID string, window time.Duration) {
	for _, b := range (Shards{}).MarkBuckets(source, eventID, window, time.Now()) {
		rdb.HDel(ctx, b, eventID)
	}
}

// MarkTTL is the remaining life of an event's mark, 0 when it has none.
func MarkTTL(ctx context.Context, rdb redis.Cmdable, source, eventID string, window time.Duration) time.Duration {
	for _, b := range (Shards{}).MarkBuckets(source, eventID, window, time.Now()) {
		if rdb.HExists(ctx, b, eventID).Val() {
			return rdb.PTTL(ctx, b).Val()
		}
	}
	return 0
}
