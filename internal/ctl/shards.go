package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
)

// With queue.shards, "queue.Queue" in this package's comments means every
// shard: each command reads every hookq queue.

// queues lists hookq's queues in this Redis (queue.Queue and every shard
// ever registered, whatever queue.shards is now), sorted: commands read
// them all, so tasks left in a queue of an earlier shard count stay
// visible.
func (c *Ctl) queues() ([]string, error) {
	names, err := c.insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	var out []string
	for _, n := range names {
		if queue.IsQueue(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// shards is the sharding new writes (restore) use: the configured one
// (WithShards), else the one the registered queues show.
func (c *Ctl) shards() (queue.Shards, error) {
	if c.sharded != nil {
		return *c.sharded, nil
	}
	names, err := c.insp.Queues()
	if err != nil {
		return queue.Shards{}, fmt.Errorf("list queues: %w", err)
	}
	return queue.DetectShards(names), nil
}

// WithShards sets the deployment's queue.shards instead of detecting it.
func (c *Ctl) WithShards(s queue.Shards) *Ctl {
	c.sharded = &s
	return c
}

// taskInfo finds task id in whichever hookq queue holds it.
func (c *Ctl) taskInfo(id string) (*asynq.TaskInfo, error) {
	qs, err := c.queues()
	if err != nil {
		return nil, err
	}
	if s, err := c.shards(); err == nil { // the likely queue first
		q := s.ForTask(id)
		qs = append([]string{q}, slices.DeleteFunc(qs, func(n string) bool { return n == q })...)
	}
	for _, q := range qs {
		info, err := c.insp.GetTaskInfo(q, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		return info, err
	}
	return nil, asynq.ErrTaskNotFound
}

// onTask runs do on task id in the queue that holds it.
func (c *Ctl) onTask(id string, do func(qname, id string) error) error {
	info, err := c.taskInfo(id)
	if err != nil {
		return err
	}
	return do(info.Queue, id)
}

// scanEach runs a SCAN on every node that holds keys: the one node, or
// every master of a cluster (a cluster client sends SCAN to one node).
func (c *Ctl) scanEach(ctx context.Context, fn func(ctx context.Context, node redis.Cmdable) error) error {
	cc, ok := c.rdb.(*redis.ClusterClient)
	if !ok {
		return fn(ctx, c.rdb)
	}
	var mu sync.Mutex // fn runs on the masters concurrently
	return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(ctx, node)
	})
}
