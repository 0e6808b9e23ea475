package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
)

// The dlq commands, one file each: the dead-letter queue is Asynq's
// archived tasks, plus hookq's dead-letter stream.

const dlqNotes = `The dead-letter queue is Asynq's archived tasks of queue "` + queue.Queue + `" (with queue.shards: N,
of every shard queue "` + queue.Queue + `-0"…: each command reads them all); the dead-letter
stream (` + queue.DeadLetterStream + `) keeps a copy of every dead-lettered event, even after Asynq
trims its archive.

filters (list, replay, delete): -source S -type GLOB -route GLOB -since T -until T -error TEXT
  T is a duration before now (90m, 36h, 7d), an RFC 3339 time or a date; it is compared with
  the task's last failure (or, for a task archived by hand, the event's receipt).
IDs (list, replay, delete) are task ids (<source>:<route>:<event id>) or event ids; replay
and delete want -all when given no filter and no id.
Every subcommand takes -config FILE (env HOOKQ_CONFIG) or -redis URL (env REDIS_URL).
`

// barMin is the smallest batch that gets a progress bar.
const barMin = 5

// filterFlags are the selection flags of list, replay and delete.
type filterFlags struct {
	source, typ, route, since, until, errText string
}

func addFilterFlags(fs *flag.FlagSet) *filterFlags {
	f := &filterFlags{}
	fs.StringVar(&f.source, "source", "", "only this source")
	fs.StringVar(&f.typ, "type", "", "only event types matching this glob (payment_intent.*)")
	fs.StringVar(&f.route, "route", "", "only routes matching this glob")
	fs.StringVar(&f.since, "since", "", "only tasks that failed at or after: duration ago (90m, 36h, 7d), RFC 3339 time or date")
	fs.StringVar(&f.until, "until", "", "only tasks that failed at or before (same forms as -since)")
	fs.StringVar(&f.errText, "error", "", "only tasks whose last error contains this text (case-insensitive)")
	return f
}

func (f *filterFlags) filter(now time.Time, ids []string) (ctl.Filter, error) {
	out := ctl.Filter{Source: f.source, Type: f.typ, Route: f.route, Error: f.errText, IDs: ids}
	var err error
	if out.Since, err = ctl.ParseTime(f.since, now); err != nil {
		return out, fmt.Errorf("-since: %w", err)
	}
	if out.Until, err = ctl.ParseTime(f.until, now); err != nil {
		return out, fmt.Errorf("-until: %w", err)
	}
	return out, out.Validate()
}
