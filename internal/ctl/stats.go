package ctl

import (
	"context"
	"fmt"
	"sort"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
)

// Stats returns Asynq's current numbers for every queue in this Redis
// (hookq uses queue.Queue, or one per shard; others belong to whatever
// else shares the Redis), sorted by name.
func (c *Ctl) Stats(ctx context.Context) ([]*asynq.QueueInfo, error) {
	names, err := c.insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	sort.Strings(names)
	out := make([]*asynq.QueueInfo, 0, len(names))
	for _, q := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q, err)
		}
		out = append(out, info)
	}
	return out, nil
}

// Marks counts dedupe marks per source.
type Marks struct {
	Total     int            `json:"total"`
	BySource  map[string]int `json:"by_source"`
	Truncated bool           `json:"truncated,omitempty"` // ScanLimit reached: the counts are lower bounds
}

// CountMarks counts the dedupe marks: SCAN for every shard's mark buckets
// (queue/marks.go), walking at most ScanLimit keys (per node of a
// cluster), and HLEN of each.
func (c *Ctl) CountMarks(ctx context.Context) (Marks, error) {
	m := Marks{BySource: map[string]int{}}
	var buckets []string
	trunc, err := c.scan(ctx, queue.MarkBucketPattern(""), func(key string) {
		if q, _, ok := queue.SplitMarkBucket(key); ok && queue.IsQueue(q) {
			buckets = append(buckets, key)
		}
	})
	m.Truncated = trunc
	if err != nil {
		return m, err
	}
	for _, key := range buckets {
		n, err := c.rdb.HLen(ctx, key).Result()
		if err != nil {
			return m, fmt.Errorf("marks %s: %w", key, err)
		}
		_, src, _ := queue.SplitMarkBucket(key)
		m.Total += int(n)
		if n > 0 {
			m.BySource[src] += int(n)
		}
	}
	return m, nil
}

func (c *Ctl) scanLimit() int {
	if c.ScanLimit > 0 {
		return c.ScanLimit
	}
	return 1_000_000
}

// scan calls fn for every key matching pattern until the whole keyspace or
// ScanLimit keys have been walked; truncated reports the latter.
func (c *Ctl) scan(ctx context.Context, pattern string, fn func(key string)) (truncated bool, err error) {
	err = c.scanEach(ctx, func(ctx context.Context, node redis.Cmdable) error {
		const count = 1000
		var cursor uint64
		walked := 0
		for {
			keys, next, err := node.Scan(ctx, cursor, pattern, count).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", pattern, err)
			}
			for _, k := range keys {
				fn(k)
			}
			walked += count
			cursor = next
			if cursor == 0 {
				return nil
			}
			if walked >= c.scanLimit() {
				truncated = true
				return nil
			}
		}
	})
	return truncated, err
}
