// Package ctl is the library behind hookqctl's operator commands: the
// dead-letter queue (Asynq's archived tasks of queue.Queue), queue stats and
// where one event stands. It reads and acts through asynq.Inspector and a few
// plain Redis reads of hookq's own keys (dedupe marks and the dead-letter
// stream). One exception writes Asynq's layout directly: Restore puts a
// dead-lettered event back as a pending task (a task hash plus the pending
// list), through queue.DeadLetters, because no Inspector call creates a task
// with a given id.
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// Topology is what the config says about sources and their routes. The zero
// value means "unknown": Inspect then finds marks and tasks by scanning Redis.
type Topology struct {
	Sources []string            // configured source names, in config order
	Routes  map[string][]string // source name → its route names, in config order
	// Windows holds each source's dedupe window (dedupe_ttl), which names
	// the buckets its marks are in; without it marks are found by SCAN.
	Windows map[string]time.Duration
	// Policies holds each route's retry policy, for tasks restored from
	// the dead-letter stream; nil when the config could not be loaded.
	Policies map[string]webhook.Task
}

// Ctl runs operator commands against one Redis.
type Ctl struct {
	rdb  redis.UniversalClient
	insp *asynq.Inspector
	topo Topology
	// sharded is the configured queue.shards; nil: detected (shards).
	sharded *queue.Shards
	// ScanLimit bounds how many keys one Inspect or CountMarks scan may walk
	// (0 means the default, 1,000,000), so a huge keyspace cannot hold it.
	ScanLimit int
}

// New returns a Ctl on rdb; the caller owns (and closes) rdb.
func New(rdb redis.UniversalClient, topo Topology) *Ctl {
	return &Ctl{rdb: rdb, insp: asynq.NewInspectorFromRedisClient(rdb), topo: topo}
}

// Task is one Asynq task of the webhooks queue as an operator sees it: the
// envelope's event plus Asynq's bookkeeping.
type Task struct {
	ID            string    `json:"task_id"`
	State         string    `json:"state"`
	Source        string    `json:"source"`
	Route         string    `json:"route"`
	EventID       string    `json:"event_id"`
	EventType     string    `json:"event_type"`
	ReceivedAt    time.Time `json:"received_at,omitzero"`
	LastFailedAt  time.Time `json:"last_failed_at,omitzero"`
	NextProcessAt time.Time `json:"next_process_at,omitzero"`
	Retried       int       `json:"retried"`
	MaxRetry      int       `json:"max_retry"`
	LastErr       string    `json:"last_error,omitempty"`
	CompletedAt   time.Time `json:"completed_at,omitzero"`
	// Delivery is the last forward attempt's answer, recorded when history
	// is kept (history.retention); nil otherwise.
	Delivery *webhook.Delivery `json:"delivery,omitempty"`
	// DecodeErr is set when the payload is not a hookq envelope; Source,
	// Route and EventID then come from the task id and type.
	DecodeErr string `json:"decode_error,omitempty"`

	Info  *asynq.TaskInfo `json:"-"`
	Event *webhook.Event  `json:"-"` // nil when DecodeErr is set
}

// FailedOrReceived is the time the time filters compare: when the task last
// failed, or, for a task archived by hand without a failure, when its event
// was received.
func (t *Task) FailedOrReceived() time.Time {
	if !t.LastFailedAt.IsZero() {
		return t.LastFailedAt
	}
	return t.ReceivedAt
}

func newTask(info *asynq.TaskInfo) *Task {
	t := &Task{ID: info.ID, State: info.State.String(), Route: strings.TrimPrefix(info.Type, webhook.TaskTypePrefix),
		LastFailedAt: info.LastFailedAt, NextProcessAt: info.NextProcessAt, Retried: info.Retried,
		MaxRetry: info.MaxRetry, LastErr: info.LastErr, CompletedAt: info.CompletedAt, Info: info}
	if len(info.Result) > 0 {
		var d webhook.Delivery
		if json.Unmarshal(info.Result, &d) == nil {
			t.Delivery = &d
		}
	}
	ev, err := webhook.Decode(info.Payload)
	if err != nil {
		t.DecodeErr = err.Error()
		// Source and route names cannot hold ':' (config validates them),
		// so the first two fields of "<source>:<route>:<event_id>" are safe.
		if parts := strings.SplitN(info.ID, ":", 3); len(parts) == 3 {
			t.Source, t.EventID = parts[0], parts[2]
		}
		return t
	}
	t.Event = ev
	t.Source, t.EventID, t.EventType, t.ReceivedAt = ev.Source, ev.ID, ev.Type, ev.ReceivedAt
	return t
}

// Filter selects dead-lettered tasks; every set field must match.
type Filter struct {
	Source string    // exact source name
	Type   string    // glob on the event type, as in routes (webhook.MatchType)
	Route  string    // glob on the route name
	Since  time.Time // FailedOrReceived at or after
	Until  time.Time // FailedOrReceived at or before
	Error  string    // case-insensitive substring of the last error
	IDs    []string  // task ids or event ids; any may match
}

// Empty reports whether f selects everything.
func (f Filter) Empty() bool {
	return f.Source == "" && f.Type == "" && f.Route == "" && f.Since.IsZero() && f.Until.IsZero() &&
		f.Error == "" && len(f.IDs) == 0
}

// Validate checks the globs: * and ? only, as in routes.
func (f Filter) Validate() error {
	for _, g := range []string{f.Type, f.Route} {
		if strings.ContainsAny(g, `[]\`) {
			return fmt.Errorf("bad glob %q: use * and ? only", g)
		}
	}
	return nil
}

// Match reports whether t passes every field of f except IDs.
func (f Filter) Match(t *Task) bool {
	if f.Source != "" && t.Source != f.Source {
		return false
	}
	if f.Type != "" {
		if !webhook.MatchType(f.Type, t.EventType) {
			return false
		}
	}
	if f.Route != "" {
		if !webhook.MatchType(f.Route, t.Route) {
			return false
		}
	}
	at := t.FailedOrReceived()
	if !f.Since.IsZero() && (at.IsZero() || at.Before(f.Since)) {
		return false
	}
	if !f.Until.IsZero() && (at.IsZero() || at.After(f.Until)) {
		return false
	}
	if f.Error != "" && !strings.Contains(strings.ToLower(t.LastErr), strings.ToLower(f.Error)) {
		return false
	}
	return true
}

// ParseTime reads a -since/-until value: a duration before now ("90m",
// "36h", "7d"), an RFC 3339 time, or a date (YYYY-MM-DD, UTC midnight).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		// The round trip refuses "+7" and "07": only plain digits count.
		if days, err := strconv.Atoi(n); err == nil && strconv.Itoa(days) == n && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither a duration (90m, 36h, 7d), an RFC 3339 time nor a date", s)
	}
	return now.Add(-d), nil
}

// pageSize is how many archived tasks one Inspector call reads.
const pageSize = 100

// Archived returns every dead-lettered task of hookq's queues that f
// selects, most recently failed (FailedOrReceived) first. An archive holds
// at most 10,000 tasks per queue, so each is read whole; a task archived
// while reading may be missed.
func (c *Ctl) Archived(ctx context.Context, f Filter) ([]*Task, error) {
	qs, err := c.queues()
	if err != nil {
		return nil, err
	}
	var out []*Task
	for _, q := range qs {
		ts, err := c.archived(ctx, q, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	// Asynq pages the archive oldest first, whatever its doc says.
	slices.SortStableFunc(out, func(a, b *Task) int {
		if c := b.FailedOrReceived().Compare(a.FailedOrReceived()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (c *Ctl) archived(ctx context.Context, qname string, f Filter) ([]*Task, error) {
	ids := map[string]bool{}
	for _, id := range f.IDs {
		ids[id] = true
	}
	var out []*Task
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		infos, err := c.insp.ListArchivedTasks(qname, asynq.PageSize(pageSize), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, nil // nothing was ever enqueued: nothing archived
		}
		if err != nil {
			return nil, fmt.Errorf("list archived tasks: %w", err)
		}
		for _, info := range infos {
			if seen[info.ID] { // the pages shifted under us
				continue
			}
			seen[info.ID] = true
			t := newTask(info)
			if len(ids) > 0 && !ids[t.ID] && !ids[t.EventID] {
				continue
			}
			if f.Match(t) {
				out = append(out, t)
			}
		}
		if len(infos) < pageSize {
			return out, nil
		}
	}
}

// Select is Archived made cheap for explicit ids: ids that name archived
// tasks are read one by one, and the archive is read whole only when some id
// is not a task id (an event id). notArchived lists ids that name a task in
// another state or nothing in the dead-letter queue at all.
func (c *Ctl) Select(ctx context.Context, f Filter) (tasks []*Task, notArchived []string, err error) {
	if len(f.IDs) == 0 {
		tasks, err = c.Archived(ctx, f)
		return tasks, nil, err
	}
	var rest []string
	found := map[string]bool{}
	for _, id := range f.IDs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		info, err := c.taskInfo(id)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			rest = append(rest, id)
		case err != nil:
			return nil, nil, err
		case info.State != asynq.TaskStateArchived:
			notArchived = append(notArchived, id+" ("+info.State.String()+")")
		default:
			if t := newTask(info); f.Match(t) && !found[t.ID] {
				found[t.ID] = true
				tasks = append(tasks, t)
			}
		}
	}
	if len(rest) > 0 {
		g := f
		g.IDs = rest
		more, err := c.Archived(ctx, g)
		if err != nil {
			return nil, nil, err
		}
		hit := map[string]bool{}
		for _, t := range more {
			hit[t.EventID] = true
			if !found[t.ID] {
				found[t.ID] = true
				tasks = append(tasks, t)
			}
		}
		for _, id := range rest {
			if !hit[id] {
				notArchived = append(notArchived, id)
			}
		}
	}
	return tasks, notArchived, nil
}

// Find returns what `dlq show` shows for id: the task with that id in any
// state, or else every dead-lettered task of the event with that id.
func (c *Ctl) Find(ctx context.Context, id string) ([]*Task, error) {
	info, err := c.taskInfo(id)
	switch {
	case err == nil:
		return []*Task{newTask(info)}, nil
	case !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound):
		return nil, err
	}
	var out []*Task
	all, err := c.Archived(ctx, Filter{IDs: []string{id}})
	for _, t := range all {
		if t.EventID == id {
			out = append(out, t)
		}
	}
	return out, err
}

// Outcome counts what Replay or Delete did.
type Outcome struct {
	Done     int      // tasks replayed or deleted
	NotFound int      // tasks gone meanwhile (replayed, deleted or trimmed by someone else)
	Failed   []string // "<task id>: <error>" for every other failure
}

// Replay moves each archived task to pending with Inspector.RunTask. Asynq
// keeps the task's retry count, so a task that had used all its retries gets
// exactly one more attempt before it is dead-lettered again. progress, when
// not nil, is called once per task.
func (c *Ctl) Replay(ctx context.Context, ids []string, progress func()) (Outcome, error) {
	return c.each(ctx, ids, progress, func(id string) error { return c.onTask(id, c.insp.RunTask) })
}

// Delete removes each task for good with Inspector.DeleteTask.
func (c *Ctl) Delete(ctx context.Context, ids []string, progress func()) (Outcome, error) {
	return c.each(ctx, ids, progress, func(id string) error { return c.onTask(id, c.insp.DeleteTask) })
}

func (c *Ctl) each(ctx context.Context, ids []string, progress func(), do func(id string) error) (Outcome, error) {
	var o Outcome
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return o, err
		}
		err := do(id)
		switch {
		case err == nil:
			o.Done++
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			o.NotFound++
		default:
			o.Failed = append(o.Failed, id+": "+err.Error())
		}
		if progress != nil {
			progress()
		}
	}
	return o, nil
}

// IDs returns the task ids of ts.
func IDs(ts []*Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
