// Package queue is the Redis side of ingest: it records the dedupe mark and
// enqueues one Asynq task per matching route in a single atomic script, one
// round trip per webhook.
//
// Why one script and not asynq.Client: the client's Enqueue is its own round
// trip, so dedupe + N enqueues would cost N+1 round trips and, worse, could
// not be atomic: a crash between "mark" and "enqueue" would turn the
// provider's retry into a false "duplicate", and "enqueue" before "mark" lets
// two concurrent deliveries both pass. The script writes tasks exactly as
// Asynq's own enqueue script does; everything copied from Asynq is fenced
// in asynq.go, and TestCompatibleWithAsynq proves a real Asynq server and
// Inspector read what it writes.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/webhook"
)

// Queue is the Asynq queue every webhook task goes to with one shard (the
// default), and the hash tag of the keys that are not per shard (replay
// tokens, the dead-letter stream).
const Queue = "webhooks"

// Enqueuer runs the dedupe+enqueue protocol.
type Enqueuer struct {
	rdb redis.UniversalClient
	// batchers holds one batcher per queue (shard): a batch then goes to
	// one master, and a stalled master holds only its own shard's requests.
	batchers sync.Map    // queue name → *batcher
	ack      *replicaAck // nil: answer once the master has the writes
	shards   Shards
	queues   published
}

// WithShards spreads events over s (default: the one queue Queue).
func (q *Enqueuer) WithShards(s Shards) *Enqueuer {
	q.shards = s
	return q
}

type replicaAck struct {
	rdb      redis.UniversalClient
	replicas int
	timeout  time.Duration
}

// WithReplicaAck makes every answer, accepted and duplicate alike, wait
// until n replicas hold the event (WAIT n timeout). WAIT only counts writes
// made on its own connection, so the script and WAIT go down one connection
// in one pipeline, outside the shared batches. rdb is a client of its own:
// a WAIT can hold its connection for the whole timeout, which must not
// starve other commands.
func (q *Enqueuer) WithReplicaAck(rdb redis.UniversalClient, n int, timeout time.Duration) *Enqueuer {
	q.ack = &replicaAck{rdb: rdb, replicas: n, timeout: timeout}
	return q
}

// NewEnqueuer returns an Enqueuer on rdb; the caller owns rdb. Concurrent
// calls share pipelined round trips (batch.go).
func NewEnqueuer(rdb redis.UniversalClient) *Enqueuer {
	return &Enqueuer{rdb: rdb}
}

func (q *Enqueuer) batcher(qname string) *batcher {
	if b, ok := q.batchers.Load(qname); ok {
		return b.(*batcher)
	}
	b, _ := q.batchers.LoadOrStore(qname, &batcher{rdb: q.rdb})
	return b.(*batcher)
}

type nonceKey struct{}

// NewNonce returns a fresh attempt nonce for WithNonce: a random decimal
// int63. Redis keeps an integer value inside the mark's object, with no
// string allocated, which keeps every dedupe mark smaller.
func NewNonce() string {
	var b [8]byte
	rand.Read(b[:])
	return strconv.FormatUint(binary.LittleEndian.Uint64(b[:])>>1, 10)
}

// WithNonce makes Enqueue use nonce as its attempt nonce instead of a fresh
// one. A caller that retries an attempt whose outcome it does not know (a
// timeout: the script may have run) passes the same nonce again, and the
// script answers accepted for its own earlier write instead of duplicate.
func WithNonce(ctx context.Context, nonce string) context.Context {
	return context.WithValue(ctx, nonceKey{}, nonce)
}

// KEYS[1] legacy per-event mark, KEYS[2] pending list, KEYS[3..2+n] the
// mark buckets to look in (marks.go), then the task hashes, all in the
// shard's slot. ARGV[1] the current bucket's remaining life in ms, ARGV[2]
// now ns, ARGV[3] this attempt's nonce, ARGV[4] the event id, ARGV[5] n,
// ARGV[6] the index (1-based) among the buckets of the one to write, then
// per task: id, encoded TaskMessage. The queue is registered in AllQueues
// outside the script (another slot).
//
// Returns 1 accepted, 0 duplicate. A mark holding our own nonce means this
// same call already ran (a client-side retry after a timeout whose first
// try executed): that is our acceptance, not a duplicate.
var script = redis.NewScript(writeTaskLua + `
local n = tonumber(ARGV[5])
local mark = redis.call("GET", KEYS[1])
if not mark then
  for i = 3, 2 + n do
    mark = redis.call("HGET", KEYS[i], ARGV[4])
    if mark then break end
  end
end
if mark then
  if mark == ARGV[3] then return 1 end
  return 0
end
local t = 3 + n
for i = t, #KEYS do
  if redis.call("EXISTS", KEYS[i]) == 1 then return 0 end
end
local bucket = KEYS[2 + tonumber(ARGV[6])]
redis.call("HSET", bucket, ARGV[4], ARGV[3])
redis.call("PEXPIRE", bucket, ARGV[1])
for i = t, #KEYS do
  local j = 7 + (i - t) * 2
  write_task(KEYS[i], KEYS[2], ARGV[j], ARGV[j + 1], ARGV[2])
end
return 1
`)

// Enqueue atomically checks the event's dedupe mark and, when unseen, writes
// the mark and one task per entry of tasks; duplicate reports that the event
// was accepted within the window ttl (a mark lives at least ttl and less
// than 1.25 × ttl: marks.go), or that a task for it still
// exists (queued, retrying or dead-lettered), and nothing was written. It is
// all or nothing: after an error either nothing was written or everything
// was (a timeout after the script ran), never a mark without its tasks.
// headers are Asynq task headers (trace context).
func (q *Enqueuer) Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate bool, err error) {
	if len(tasks) == 0 {
		return false, errors.New("queue: no tasks")
	}
	payload := webhook.Encode(ev)
	nonce, _ := ctx.Value(nonceKey{}).(string)
	if nonce == "" {
		nonce = NewNonce()
	}
	qname := q.shards.For(ev.Source, ev.ID)
	if err := q.queues.register(ctx, q.rdb, qname); err != nil {
		return false, fmt.Errorf("queue: register %s: %w: %v", qname, webhook.ErrQueueUnavailable, err)
	}
	now := time.Now()
	buckets, write := markBuckets(qname, ev.Source, ev.ID, ttl, now)
	keys := make([]string, 2, 2+len(buckets)+len(tasks))
	keys[0] = legacyMarkKey(qname, ev.Source, ev.ID)
	keys[1] = PendingKey(qname)
	keys = append(keys, buckets...)
	args := make([]any, 6, 6+2*len(tasks))
	args[0] = strconv.FormatInt(markExpiry(ttl, now), 10)
	args[1] = strconv.FormatInt(now.UnixNano(), 10)
	args[2] = nonce
	args[3] = ev.ID
	args[4] = strconv.Itoa(len(buckets))
	args[5] = strconv.Itoa(write + 1)
	for _, t := range tasks {
		id := webhook.TaskID(ev.Source, t.Route, ev.ID)
		p := payload
		if t.Headers != nil { // this route's own kept headers, seen by no other route
			e := *ev
			e.Headers = t.Headers
			p = webhook.Encode(&e)
		}
		keys = append(keys, TaskKey(qname, id))
		args = append(args, id, encodeTaskMessage(webhook.TaskType(t.Route), p, headers, id, qname, t.MaxRetry, t.Timeout, t.Retention))
	}
	n, err := q.run(ctx, qname, keys, args)
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w: %v", ev.Summary(), webhook.ErrQueueUnavailable, err)
	}
	return n == 0, nil
}

// run executes the script, and WAIT after it when replicas must acknowledge.
// A duplicate answer waits too: the mark it found may not be replicated yet.
func (q *Enqueuer) run(ctx context.Context, qname string, keys []string, args []any) (int, error) {
	if q.ack == nil {
		return q.batcher(qname).run(ctx, keys, args)
	}
	var conn interface {
		Pipelined(context.Context, func(redis.Pipeliner) error) ([]redis.Cmder, error)
	} = q.ack.rdb
	if cc, ok := q.ack.rdb.(*redis.ClusterClient); ok {
		// A cluster pipeline may spread over nodes, and a keyless WAIT would
		// go to any of them: send both to the master of the script's slot.
		node, err := cc.MasterForKey(ctx, keys[0])
		if err != nil {
			return 0, err
		}
		conn = node
	}
	for attempt := 0; ; attempt++ {
		var res *redis.Cmd
		var wait *redis.Cmd
		conn.Pipelined(ctx, func(p redis.Pipeliner) error {
			if attempt == 0 {
				res = script.EvalSha(ctx, p, keys, args...)
			} else {
				res = script.Eval(ctx, p, keys, args...)
			}
			wait = p.Do(ctx, "WAIT", q.ack.replicas, q.ack.timeout.Milliseconds())
			return nil
		})
		if attempt == 0 && redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
			continue // first use on this server: send the body
		}
		n, err := res.Int()
		if err != nil {
			return 0, err
		}
		got, err := wait.Int64()
		if err != nil {
			return 0, fmt.Errorf("WAIT: %w", err)
		}
		if got < int64(q.ack.replicas) {
			return 0, fmt.Errorf("%d of %d replicas acknowledged within %v", got, q.ack.replicas, q.ack.timeout)
		}
		return n, nil
	}
}
