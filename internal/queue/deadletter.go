package queue

import (
	"context"
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
