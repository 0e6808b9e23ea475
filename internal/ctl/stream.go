package ctl

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// Exported is one entry of the dead-letter stream: an event as it was when
// its task was dead-lettered.
type Exported struct {
	StreamID       string         `json:"stream_id"`
	TaskID         string         `json:"task_id"`
	Route          string         `json:"route"`
	Source         string         `json:"source"`
	EventID        string         `json:"event_id"`
	EventType      string         `json:"event_type"`
	Error          string         `json:"error"`
	DeadLetteredAt string         `json:"dead_lettered_at"`
	Event          *webhook.Event `json:"-"`
}

// Exported lists the dead-letter stream, newest first, at most limit entries
// (0: all).
func (c *Ctl) Exported(ctx context.Context, limit int64) ([]Exported, error) {
	var msgs []redis.XMessage
	var err error
	if limit > 0 {
		msgs, err = c.rdb.XRevRangeN(ctx, queue.DeadLetterStream, "+", "-", limit).Result()
	} else {
		msgs, err = c.rdb.XRevRange(ctx, queue.DeadLetterStream, "+", "-").Result()
	}
	if err != nil {
		return nil, err
	}
	out := make([]Exported, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, exported(m))
	}
	return out, nil
}

func exported(m redis.XMessage) Exported {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	e := Exported{StreamID: m.ID, TaskID: str("task_id"), Route: str("route"), Source: str("source"), EventID: str("event_id"),
		EventType: str("event_type"), Error: str("error"), DeadLetteredAt: str("dead_lettered_at")}
	e.Event, _ = webhook.Decode([]byte(str("envelope")))
	return e
}

// Restore enqueues the events of the given stream entries again, each for
// the route it was dead-lettered on, with the route's retry policy from the
// topology (config.DefaultTask when unknown). An entry whose task
// still exists (in the dead-letter queue, say) counts as NotFound-like
// "skipped" in Failed, never as a second task.
func (c *Ctl) Restore(ctx context.Context, streamIDs []string, progress func()) (Outcome, error) {
	shards, err := c.shards()
	if err != nil {
		return Outcome{}, err
	}
	dl := queue.NewDeadLetters(c.rdb, queue.DeadLetterLimits{}).WithShards(shards) // Restore only: limits unused
	var o Outcome
	for _, id := range streamIDs {
		if err := ctx.Err(); err != nil {
			return o, err
		}
		msgs, err := c.rdb.XRange(ctx, queue.DeadLetterStream, id, id).Result()
		switch {
		case err != nil:
			o.Failed = append(o.Failed, id+": "+err.Error())
		case len(msgs) == 0:
			o.NotFound++
		default:
			e := exported(msgs[0])
			if e.Event == nil {
				o.Failed = append(o.Failed, id+": entry holds no hookq event")
				break
			}
			t := config.DefaultTask(e.Route)
			if p, ok := c.topo.Policies[e.Route]; ok {
				t = p
			}
			restored, err := dl.Restore(ctx, e.Event, t)
			switch {
			case err != nil:
				o.Failed = append(o.Failed, id+": "+err.Error())
			case !restored:
				o.Failed = append(o.Failed, fmt.Sprintf("%s: task %s still exists (replay it with dlq replay)", id, e.TaskID))
			default:
				o.Done++
			}
		}
		if progress != nil {
			progress()
		}
	}
	return o, nil
}
