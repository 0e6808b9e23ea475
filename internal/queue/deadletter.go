package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/webhook"
)

// Asynq v0.26.0 keeps at most 9,999 archived tasks per queue and none older
// than 90 days, trimming the oldest without any signal when another task is
// archived (internal/rdb: maxArchiveSize, archivedExpirationInDays).
const (
	archiveKeep = 10000 - 1
	archiveAge  = 90 * 24 * time.Hour
)

// DeadLetterStream is the Redis stream every dead-lettered event is copied
// to before Asynq archives it, so a trim never loses its payload. It keeps
// the newest DeadLetterStreamLen entries.
const (
	DeadLetterStream    = "hookq:{" + Queue + "}:dlq"
	DeadLetterStreamLen = 1_000_000
)

// DeadLetters records dead-lettered events.
type DeadLetters struct{ rdb redis.UniversalClient }

// NewDeadLetters returns a recorder on rdb; the caller owns rdb.
func NewDeadLetters(rdb redis.UniversalClient) *DeadLetters { return &DeadLetters{rdb: rdb} }

// Record copies the event about to be archived, with its route and cause,
// to DeadLetterStream, and returns the ids of the archived tasks Asynq will
// trim to make room for it (the oldest past 9,999, and any past 90 days).
// One round trip.
func (d *DeadLetters) Record(ctx context.Context, taskID, route string, ev *webhook.Event, cause error) (trimmed []string, err error) {
	archived := "asynq:{" + Queue + "}:archived"
	now := time.Now()
	pipe := d.rdb.Pipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: DeadLetterStream, MaxLen: DeadLetterStreamLen, Approx: true, Values: []any{
		"task_id", taskID, "route", route, "source", ev.Source, "event_id", ev.ID, "event_type", ev.Type,
		"error", cause.Error(), "dead_lettered_at", now.UTC().Format(time.RFC3339Nano), "envelope", webhook.Encode(ev),
	}})
	size := pipe.ZCard(ctx, archived)
	expired := pipe.ZRangeByScore(ctx, archived, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.Add(-archiveAge).Unix(), 10)})
	oldest := pipe.ZRange(ctx, archived, 0, 9) // enough for one archive: it trims at most one by size
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	trimmed = expired.Val()
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
	return trimmed, nil
}

// restoreScript writes one Asynq task like the enqueue script, unless a task
// with that id exists. KEYS: task hash, pending list, asynq:queues.
// ARGV: task id, message, now ns, queue name.
var restoreScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("SADD", KEYS[3], ARGV[4])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "pending", "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[1])
return 1
`)

// Restore enqueues ev for one route again, as a new pending task with the
// same task id, unless a task with that id still exists (then restored is
// false). It is how an event copied to DeadLetterStream comes back after
// Asynq trimmed (or an operator deleted) its archived task. The dedupe mark
// is left as it is.
func (d *DeadLetters) Restore(ctx context.Context, ev *webhook.Event, t webhook.Task) (restored bool, err error) {
	id := webhook.TaskID(ev.Source, t.Route, ev.ID)
	msg := encodeTaskMessage(webhook.TaskType(t.Route), webhook.Encode(ev), nil, id, Queue, t.MaxRetry, t.Timeout)
	n, err := restoreScript.Run(ctx, d.rdb, []string{taskKey(id), "asynq:{" + Queue + "}:pending", "asynq:queues"},
		id, msg, strconv.FormatInt(time.Now().UnixNano(), 10), Queue).Int()
	if err != nil {
		return false, fmt.Errorf("queue: restore %s: %w", id, err)
	}
	return n == 1, nil
}
