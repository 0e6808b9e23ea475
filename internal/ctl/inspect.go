package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// Mark is one source's dedupe mark for an event.
type Mark struct {
	Source string `json:"source"`
	// Key is the bucket hash holding the mark as the field named by the
	// event id.
	Key string `json:"key"`
	// TTL is the mark's remaining life (its bucket's); -1 means it never
	// expires.
	TTL time.Duration `json:"-"`
}

// MarshalJSON renders TTL readably ("71h59m30s", or "none" for no expiry).
func (m Mark) MarshalJSON() ([]byte, error) {
	ttl := "none"
	if m.TTL >= 0 {
		ttl = m.TTL.Round(time.Second).String()
	}
	type plain Mark
	return json.Marshal(struct {
		plain
		TTL string `json:"ttl"`
	}{plain(m), ttl})
}

// RouteTask is where one route's task of an event stands.
type RouteTask struct {
	Source string `json:"source"`
	Route  string `json:"route"`
	TaskID string `json:"task_id"`
	Task   *Task  `json:"task,omitempty"` // nil: no such task (finished, never enqueued, or deleted)
}

// Whereabouts is everything Redis knows about one event id.
type Whereabouts struct {
	EventID string      `json:"event_id"`
	Marks   []Mark      `json:"marks"`
	Routes  []RouteTask `json:"routes"`
	// Scanned reports that marks or tasks were looked for by SCAN (no
	// config, or a source the config does not know); Truncated, that a scan
	// stopped at ScanLimit keys, so something may have been missed.
	Scanned   bool `json:"scanned,omitempty"`
	Truncated bool `json:"truncated,omitempty"`
}

// Verdict says in one line where the event is.
func (w *Whereabouts) Verdict() string {
	var states []string
	for _, r := range w.Routes {
		if r.Task != nil {
			states = append(states, r.Route+": "+r.Task.State)
		}
	}
	switch {
	case len(states) > 0 && len(states) < len(w.Routes):
		return "tasks exist (" + strings.Join(states, ", ") + "); the other routes' tasks finished or were never enqueued"
	case len(states) > 0:
		return "tasks exist (" + strings.Join(states, ", ") + ")"
	case len(w.Marks) > 0:
		return "processed (or deduped) — task finished; Asynq keeps no succeeded task"
	default:
		return "not found: never received, ignored (no route matched), deleted, or its dedupe window has passed"
	}
}

// Inspect finds an event's dedupe marks and its tasks on every route. With
// source set only that source is looked at. Sources and routes come from the
// topology; without one (or for a source it does not list) marks and tasks
// are found by SCAN, bounded by ScanLimit.
func (c *Ctl) Inspect(ctx context.Context, eventID, source string) (*Whereabouts, error) {
	if eventID == "" {
		return nil, errors.New("inspect: empty event id")
	}
	w := &Whereabouts{EventID: eventID}
	sources := c.topo.Sources
	if source != "" {
		sources = []string{source}
	}
	// A mark is a field of a bucket hash (queue/marks.go). With a source's
	// window known its current buckets are looked at directly. Sources
	// without a known window, and all of them when no mark was found so
	// (the window may have changed since: other bucket names), are looked
	// for by SCAN of every bucket of the event's slice.
	qs, err := c.queues()
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		qs = []string{queue.Queue}
	}
	now := time.Now()
	var rescan, missed []string
	for _, src := range sources {
		win := c.topo.Windows[src]
		if win <= 0 {
			rescan = append(rescan, src)
			continue
		}
		var buckets []string
		for _, q := range qs { // the mark is in its shard's slot
			buckets = append(buckets, queue.MarkBucketsIn(q, src, eventID, win, now)...)
		}
		found, err := c.marksIn(ctx, w, buckets, eventID)
		if err != nil {
			return nil, err
		}
		if !found {
			missed = append(missed, src)
		}
	}
	if len(w.Marks) == 0 {
		rescan = append(rescan, missed...)
	}
	if len(sources) == 0 || len(rescan) > 0 {
		w.Scanned = true
		var buckets []string
		trunc, err := c.scan(ctx, queue.MarkBucketPattern(eventID), func(key string) {
			q, src, ok := queue.SplitMarkBucket(key)
			if ok && queue.IsQueue(q) && (len(sources) == 0 || slices.Contains(rescan, src)) && !slices.Contains(buckets, key) {
				buckets = append(buckets, key)
			}
		})
		w.Truncated = w.Truncated || trunc
		if err != nil {
			return nil, err
		}
		if _, err := c.marksIn(ctx, w, buckets, eventID); err != nil {
			return nil, err
		}
		for _, m := range w.Marks {
			if !slices.Contains(sources, m.Source) {
				sources = append(sources, m.Source)
			}
		}
	}
	slices.SortFunc(w.Marks, func(a, b Mark) int { return strings.Compare(a.Key, b.Key) })

	// Task ids to look up: every configured route of every candidate
	// source, plus whatever a scan finds for sources without known routes.
	var refs []RouteTask
	scanFor := map[string]bool{} // sources whose routes are unknown; "" = all
	for _, src := range sources {
		routes, ok := c.topo.Routes[src]
		if !ok {
			scanFor[src] = true
		}
		for _, r := range routes {
			refs = append(refs, RouteTask{Source: src, Route: r, TaskID: webhook.TaskID(src, r, eventID)})
		}
	}
	if len(sources) == 0 {
		scanFor[""] = true
	}
	if len(scanFor) > 0 {
		w.Scanned = true
		known := len(refs)
		// Task hashes of every shard (queue.TaskKey: asynq:{<queue>}:t:<id>).
		trunc, err := c.scan(ctx, queue.EscapeGlob("asynq:{"+queue.Queue)+"*}:t:*:*:"+queue.EscapeGlob(eventID), func(key string) {
			q, id, ok := queue.SplitTaskKey(key)
			if !ok || !queue.IsQueue(q) {
				return
			}
			parts := strings.SplitN(id, ":", 3)
			if len(parts) != 3 || parts[2] != eventID || !(scanFor[""] || scanFor[parts[0]]) {
				return
			}
			ref := RouteTask{Source: parts[0], Route: parts[1], TaskID: id}
			if !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
		})
		w.Truncated = w.Truncated || trunc
		if err != nil {
			return nil, err
		}
		// SCAN order is arbitrary; sort what it found.
		slices.SortFunc(refs[known:], func(a, b RouteTask) int { return strings.Compare(a.TaskID, b.TaskID) })
	}
	// Report a source's routes when it is the one asked for or holds a
	// mark or a task of the event: an unrelated source's "no task" rows
	// would only be noise.
	relevant := map[string]bool{source: source != ""}
	for _, m := range w.Marks {
		relevant[m.Source] = true
	}
	for i := range refs {
		info, err := c.taskInfo(refs[i].TaskID)
		switch {
		case err == nil:
			refs[i].Task = newTask(info)
			relevant[refs[i].Source] = true
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		default:
			return nil, fmt.Errorf("task %s: %w", refs[i].TaskID, err)
		}
	}
	for _, ref := range refs {
		if relevant[ref.Source] {
			w.Routes = append(w.Routes, ref)
		}
	}
	return w, nil
}

// marksIn adds to w the marks of eventID in buckets; found reports any.
func (c *Ctl) marksIn(ctx context.Context, w *Whereabouts, buckets []string, eventID string) (found bool, err error) {
	for _, key := range buckets {
		ok, err := c.rdb.HExists(ctx, key, eventID).Result()
		if err != nil {
			return found, fmt.Errorf("mark %s: %w", key, err)
		}
		if !ok {
			continue
		}
		ttl, err := c.rdb.PTTL(ctx, key).Result()
		if err != nil {
			return found, fmt.Errorf("mark %s: %w", key, err)
		}
		if ttl == -2 { // expired meanwhile (go-redis passes PTTL's -2 and -1 through unscaled)
			continue
		}
		_, src, _ := queue.SplitMarkBucket(key)
		w.Marks = append(w.Marks, Mark{Source: src, Key: key, TTL: ttl})
		found = true
	}
	return found, nil
}
