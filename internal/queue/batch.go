package queue

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher coalesces the scripts of concurrent requests into pipelined round
// trips (group commit). Each request is still its own EVALSHA, so each is
// atomic on its own and gets its own answer; only the network round trip and
// the syscalls are shared. There is no timer: a request that finds a free
// pipeline slot goes out at once (no added latency when idle); requests that
// arrive while maxPipelines round trips are in flight wait for the next
// one, up to maxBatch per round trip.
type batcher struct {
	rdb redis.UniversalClient

	mu       sync.Mutex
	pending  []*call
	inflight int // flush loops running
}

const (
	maxPipelines = 4
	maxBatch     = 64
)

type call struct {
	ctx  context.Context
	keys []string
	args []any
	n    int
	err  error
	done chan struct{}
}

// run executes the script for one request and returns its reply. An error
// after the request was sent means it may or may not have run, as with any
// Redis call; one returned before sending (ctx ended while queued) means it
// did not.
func (b *batcher) run(ctx context.Context, keys []string, args []any) (int, error) {
	c := &call{ctx: ctx, keys: keys, args: args, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if b.inflight < maxPipelines {
		b.inflight++
		go b.flushLoop()
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.n, c.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// flushLoop sends batches until nothing is pending.
func (b *batcher) flushLoop() {
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.inflight--
			b.mu.Unlock()
			return
		}
		n := min(len(b.pending), maxBatch)
		batch := make([]*call, n)
		copy(batch, b.pending)
		b.pending = b.pending[n:]
		if len(b.pending) == 0 {
			b.pending = nil // let the backing array go
		}
		b.mu.Unlock()
		b.exec(batch)
	}
}

func (b *batcher) exec(batch []*call) {
	live := batch[:0]
	var deadline time.Time
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err // never sent: certainly not run
			close(c.done)
			continue
		}
		if d, ok := c.ctx.Deadline(); ok && d.After(deadline) {
			deadline = d
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	// The round trip lasts as long as the most patient request in it; each
	// request stops waiting at its own deadline (run).
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	if len(live) == 1 {
		c := live[0]
		c.n, c.err = script.Run(ctx, b.rdb, c.keys, c.args...).Int()
		close(c.done)
		return
	}
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(live))
	for i, c := range live {
		cmds[i] = script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	pipe.Exec(ctx) // per-command errors are read below
	for i, c := range live {
		c.n, c.err = cmds[i].Int()
		if c.err != nil && strings.HasPrefix(c.err.Error(), "NOSCRIPT") {
			// Not run (Redis restarted or flushed its scripts): send it whole.
			c.n, c.err = script.Run(ctx, b.rdb, c.keys, c.args...).Int()
		}
		close(c.done)
	}
}
