// Package queue is the Redis side of ingest: it records the dedupe mark and
// enqueues one Asynq task per matching route in a single atomic script, one
// round trip per webhook.
//
// Why one script and not asynq.Client: the client's Enqueue is its own round
// trip, so dedupe + N enqueues would cost N+1 round trips and, worse, could
// not be atomic: a crash between "mark" and "enqueue" would turn the
// provider's retry into a false "duplicate", and "enqueue" before "mark" lets
// two concurrent deliveries both pass. The script writes tasks exactly as
// Asynq v0.26.0's own enqueue script does (a hash asynq:{q}:t:<id> with the
// protobuf TaskMessage, state and pending_since, then LPUSH asynq:{q}:pending);
// TestCompatibleWithAsynq proves a real Asynq server and Inspector read them.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/webhook"
)

// Queue is the Asynq queue every webhook task goes to.
const Queue = "webhooks"

// Enqueuer runs the dedupe+enqueue protocol.
type Enqueuer struct {
	rdb redis.UniversalClient
	b   *batcher
	ack *replicaAck // nil: answer once the master has the writes
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
	return &Enqueuer{rdb: rdb, b: &batcher{rdb: rdb}}
}

// MarkKey is the dedupe mark of an event. It carries the queue's hash tag so
// it lives in the same cluster slot as the queue's keys.
func MarkKey(source, eventID string) string {
	return "hookq:{" + Queue + "}:seen:" + source + ":" + eventID
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

func taskKey(id string) string { return "asynq:{" + Queue + "}:t:" + id }

// KEYS[1] mark, KEYS[2] pending list, KEYS[3] asynq:queues, KEYS[4..] task hashes.
// ARGV[1] mark ttl ms, ARGV[2] now ns, ARGV[3] queue name, ARGV[4] this
// attempt's nonce, then per task: id, encoded TaskMessage.
//
// Returns 1 accepted, 0 duplicate. A mark holding our own nonce means this
// same call already ran (a client-side retry after a timeout whose first
// try executed): that is our acceptance, not a duplicate.
var script = redis.NewScript(`
local mark = redis.call("GET", KEYS[1])
if mark then
  if mark == ARGV[4] then return 1 end
  return 0
end
for i = 4, #KEYS do
  if redis.call("EXISTS", KEYS[i]) == 1 then return 0 end
end
redis.call("SET", KEYS[1], ARGV[4], "PX", ARGV[1])
redis.call("SADD", KEYS[3], ARGV[3])
for i = 4, #KEYS do
  local j = 5 + (i - 4) * 2
  redis.call("HSET", KEYS[i], "msg", ARGV[j + 1], "state", "pending", "pending_since", ARGV[2])
  redis.call("LPUSH", KEYS[2], ARGV[j])
end
return 1
`)

// Enqueue atomically checks the event's dedupe mark and, when unseen, writes
// the mark (kept for ttl) and one task per entry of tasks; duplicate reports
// that the event was seen within the window, or that a task for it still
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
	keys := make([]string, 3, 3+len(tasks))
	keys[0] = MarkKey(ev.Source, ev.ID)
	keys[1] = "asynq:{" + Queue + "}:pending"
	keys[2] = "asynq:queues"
	args := make([]any, 4, 4+2*len(tasks))
	args[0] = strconv.FormatInt(ttl.Milliseconds(), 10)
	args[1] = strconv.FormatInt(time.Now().UnixNano(), 10)
	args[2] = Queue
	args[3] = nonce
	for _, t := range tasks {
		id := webhook.TaskID(ev.Source, t.Route, ev.ID)
		p := payload
		if t.Headers != nil { // this route's own kept headers, seen by no other route
			e := *ev
			e.Headers = t.Headers
			p = webhook.Encode(&e)
		}
		keys = append(keys, taskKey(id))
		args = append(args, id, encodeTaskMessage(webhook.TaskType(t.Route), p, headers, id, Queue, t.MaxRetry, t.Timeout, t.Retention))
	}
	n, err := q.run(ctx, keys, args)
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w: %v", ev.Summary(), webhook.ErrQueueUnavailable, err)
	}
	return n == 0, nil
}

// run executes the script, and WAIT after it when replicas must acknowledge.
// A duplicate answer waits too: the mark it found may not be replicated yet.
func (q *Enqueuer) run(ctx context.Context, keys []string, args []any) (int, error) {
	if q.ack == nil {
		return q.b.run(ctx, keys, args)
	}
	for attempt := 0; ; attempt++ {
		var res *redis.Cmd
		var wait *redis.Cmd
		q.ack.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
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
