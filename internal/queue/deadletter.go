package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/webhook"
)

// DeadLetterStream is the Redis stream every dead-lettered event is copied
// to before Asynq archives it, so a trim never loses its payload. It is one
// stream for every shard, so on a Redis Cluster it lives on one master (the
// slot of {webhooks}): dead letters are rare, and one stream keeps one
// order and one bound. Its size is bounded by entries and by bytes (DeadLetterLimits); entries removed to
// stay in bounds are reported to the caller, never dropped silently.
// DeadLetterStreamBytes counts the bytes of its entries (field names and
// values), which is what the byte bound applies to.
const (
	DeadLetterStream      = "hookq:{" + Queue + "}:dlq"
	DeadLetterStreamBytes = DeadLetterStream + ":bytes"
	DeadLetterStreamLen   = 1_000_000
	// DefaultDeadLetterMaxBytes keeps a long destination outage from
	// filling a noeviction Redis with dead letters.
	DefaultDeadLetterMaxBytes = 256 << 20
	// trimsPerRecord bounds the work of one Record after a limit is
	// lowered; later records trim the rest.
	trimsPerRecord = 100
)

// DeadLetterLimits bound the dead-letter stream; zero values mean the
// defaults (DeadLetterStreamLen entries, DefaultDeadLetterMaxBytes).
type DeadLetterLimits struct {
	MaxEntries int64
	MaxBytes   int64
}

// DeadLetters records dead-lettered events.
type DeadLetters struct {
	rdb    redis.UniversalClient
	lim    DeadLetterLimits
	shards Shards
	queues published
}

// WithShards makes Record and Restore find a task's queue among s.
func (d *DeadLetters) WithShards(s Shards) *DeadLetters {
	d.shards = s
	return d
}

// NewDeadLetters returns a recorder on rdb; the caller owns rdb.
func NewDeadLetters(rdb redis.UniversalClient, lim DeadLetterLimits) *DeadLetters {
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = DeadLetterStreamLen
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultDeadLetterMaxBytes
	}
	return &DeadLetters{rdb: rdb, lim: lim}
}

// Limits returns the bounds in force.
func (d *DeadLetters) Limits() DeadLetterLimits { return d.lim }

// appendScript adds one entry to the stream and removes the oldest while
// the stream is over either bound, always keeping the entry just added.
// The byte counter resets whenever the stream holds only the new entry, so
// a counter lost or set before it existed heals.
// KEYS: stream, byte counter. ARGV: max entries, max bytes, max trims,
// then the entry's field/value pairs.
// Returns {new id, bytes, entries, {trimmed id, its task id, ...}}.
var appendScript = redis.NewScript(`
local size = 0
for i = 4, #ARGV do size = size + #ARGV[i] end
local id = redis.call("XADD", KEYS[1], "*", unpack(ARGV, 4))
local total = redis.call("INCRBY", KEYS[2], size)
local n = redis.call("XLEN", KEYS[1])
if n == 1 then total = size end
local maxn, maxb, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local trimmed = {}
while (n > maxn or total > maxb) and n > 1 and budget > 0 do
  local e = redis.call("XRANGE", KEYS[1], "-", "+", "COUNT", 1)[1]
  local s, task = 0, ""
  for i = 1, #e[2], 2 do
    s = s + #e[2][i] + #e[2][i + 1]
    if e[2][i] == "task_id" then task = e[2][i + 1] end
  end
  redis.call("XDEL", KEYS[1], e[1])
  total, n, budget = total - s, n - 1, budget - 1
  table.insert(trimmed, e[1])
  table.insert(trimmed, task)
end
if total < 0 then total = 0 end
redis.call("SET", KEYS[2], total)
return {id, total, n, trimmed}
`)

// Record copies a dead letter (its raw task payload, route and cause) to
// DeadLetterStream, trimming the oldest entries past the limits, and
// reports what is trimmed: those stream entries, and the archived tasks
// Asynq will trim to make room for this one (the oldest past 9,999, and any
// past 90 days). One round trip.
func (d *DeadLetters) Record(ctx context.Context, l webhook.DeadLetter) (webhook.DeadLetterTrims, error) {
	var trims webhook.DeadLetterTrims
	archived := ArchivedKey(d.shards.ForTask(l.TaskID))
	now := time.Now()
	source, eventID, eventType := "", "", ""
	if ev := l.Event; ev != nil {
		source, eventID, eventType = ev.Source, ev.ID, ev.Type
	} else if parts := strings.SplitN(l.TaskID, ":", 3); len(parts) == 3 {
		source, eventID = parts[0], parts[2] // names never contain ':' (config); ids may
	}
	payload := l.Payload
	if payload == nil && l.Event != nil {
		payload = webhook.Encode(l.Event)
	}
	cause := "unknown"
	if l.Cause != nil {
		cause = l.Cause.Error()
	}
	// The stream and the archive are in different slots on a cluster:
	// go-redis splits this pipeline per node.
	pipe := d.rdb.Pipeline()
	added := appendScript.Eval(ctx, pipe, []string{DeadLetterStream, DeadLetterStreamBytes},
		d.lim.MaxEntries, d.lim.MaxBytes, trimsPerRecord,
		"task_id", l.TaskID, "route", l.Route, "source", source, "event_id", eventID, "event_type", eventType,
		"error", cause, "dead_lettered_at", now.UTC().Format(time.RFC3339Nano), "envelope", payload)
	size := pipe.ZCard(ctx, archived)
	expired := pipe.ZRangeByScore(ctx, archived, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.Add(-archiveAge).Unix(), 10)})
	oldest := pipe.ZRange(ctx, archived, 0, 9) // enough for one archive: it trims at most one by size
	if _, err := pipe.Exec(ctx); err != nil {
		return trims, err
	}
	if res, _ := added.Slice(); len(res) == 4 {
		pairs, _ := res[3].([]any)
		for i := 0; i+1 < len(pairs); i += 2 {
			trims.Stream = append(trims.Stream, fmt.Sprint(pairs[i], " ", pairs[i+1]))
		}
	}
	trimmed := expired.Val()
	seen := make(map[string]bool, len(trimmed))
	for _, id := range trimmed {
		seen[id] = true
	}
	over := int(size.Val()) - len(trimmed) + 1 - archiveKeep
	for _, id := range oldest.Val() {
		if over <= 0 {
			break
		}
		if !seen[id] {
			trimmed = append(trimmed, id)
			over--
		}
	}
	trims.Archive = trimmed
	return trims, nil
}

// StreamSize reports how many entries, and how many bytes of field names
// and values, the dead-letter stream holds.
func (d *DeadLetters) StreamSize(ctx context.Context) (entries, bytes int64, err error) {
	pipe := d.rdb.Pipeline()
	n := pipe.XLen(ctx, DeadLetterStream)
	b := pipe.Get(ctx, DeadLetterStreamBytes)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, err
	}
	bytes, _ = b.Int64()
	return n.Val(), bytes, nil
}

// restoreScript writes one Asynq task like the enqueue script, unless a task
// with that id exists. KEYS: task hash, pending list (one slot).
// ARGV: task id, message, now ns.
var restoreScript = redis.NewScript(writeTaskLua + `
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
write_task(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
return 1
`)

// Restore enqueues ev for one route again, as a new pending task with the
// same task id, unless a task with that id still exists (then restored is
// false). It is how an event copied to DeadLetterStream comes back after
// Asynq trimmed (or an operator deleted) its archived task. The dedupe mark
// is left as it is.
func (d *DeadLetters) Restore(ctx context.Context, ev *webhook.Event, t webhook.Task) (restored bool, err error) {
	id := webhook.TaskID(ev.Source, t.Route, ev.ID)
	qname := d.shards.For(ev.Source, ev.ID)
	if err := d.queues.register(ctx, d.rdb, qname); err != nil {
		return false, fmt.Errorf("queue: restore %s: register %s: %w", id, qname, err)
	}
	msg := encodeTaskMessage(webhook.TaskType(t.Route), webhook.Encode(ev), nil, id, qname, t.MaxRetry, t.Timeout, t.Retention)
	n, err := restoreScript.Run(ctx, d.rdb, []string{TaskKey(qname, id), PendingKey(qname)},
		id, msg, strconv.FormatInt(time.Now().UnixNano(), 10)).Int()
	if err != nil {
		return false, fmt.Errorf("queue: restore %s: %w", id, err)
	}
	return n == 1, nil
}
