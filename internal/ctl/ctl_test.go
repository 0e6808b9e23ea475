package ctl_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/ctl/ctltest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
)

func setup(tb testing.TB, topo ctl.Topology) (*ctl.Ctl, *redis.Client) {
	tb.Helper()
	rdb := redistest.Start(tb).Client()
	ctltest.Seed(tb, rdb)
	return ctl.New(rdb, topo), rdb
}

func configured() ctl.Topology {
	return ctl.Topology{Sources: []string{"stripe", "github", "seed"}, Routes: ctltest.Topology,
		Windows: map[string]time.Duration{"stripe": ctltest.MarkTTL, "github": ctltest.MarkTTL, "seed": ctltest.MarkTTL}}
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

// idsDiff compares want with got's task ids in sorted order; nil and empty
// are alike.
func idsDiff(want []string, got []*ctl.Task) string {
	return cmp.Diff(want, sorted(ctl.IDs(got)), cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) }))
}

func TestArchived(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	now := time.Now()
	tests := []struct {
		name   string
		filter ctl.Filter
		want   []string
	}{
		{"All", ctl.Filter{}, ctltest.Archived},
		{"Source", ctl.Filter{Source: "stripe"}, []string{"stripe:app:evt_a", "stripe:app:evt_b", "stripe:app:evt_old", "stripe:audit:evt_a"}},
		{"TypeGlob", ctl.Filter{Type: "payment_intent.*"}, []string{"stripe:app:evt_a", "stripe:audit:evt_a"}},
		{"RouteGlob", ctl.Filter{Route: "aud*"}, []string{"stripe:audit:evt_a"}},
		{"RouteExact", ctl.Filter{Route: "ci"}, []string{"github:ci:gh_1"}},
		{"Error", ctl.Filter{Error: "500 internal"}, []string{"github:ci:gh_1", "stripe:app:evt_a"}},
		{"ErrorCaseInsensitive", ctl.Filter{Error: "REFUSED"}, []string{"stripe:audit:evt_a"}},
		{"SinceFailed", ctl.Filter{Since: now.Add(-time.Hour)}, []string{"github:ci:gh_1", "seed:forms:txt_1", "stripe:app:evt_a", "stripe:app:evt_b", "stripe:audit:evt_a"}},
		{"UntilUsesReceivedWhenNeverFailed", ctl.Filter{Until: ctltest.Old.Add(time.Hour)}, []string{"stripe:app:evt_old"}},
		{"SinceFuture", ctl.Filter{Since: now.Add(time.Hour)}, nil},
		{"EventID", ctl.Filter{IDs: []string{"evt_a"}}, []string{"stripe:app:evt_a", "stripe:audit:evt_a"}},
		{"TaskID", ctl.Filter{IDs: []string{"github:ci:gh_1", "nope"}}, []string{"github:ci:gh_1"}},
		{"Combined", ctl.Filter{Source: "stripe", Error: "500"}, []string{"stripe:app:evt_a"}},
		{"NoMatch", ctl.Filter{Source: "shopify"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Archived(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := idsDiff(tt.want, got); diff != "" {
				t.Errorf("task ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArchivedNewestFirst(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	got, err := c.Archived(context.Background(), ctl.Filter{})
	if err != nil || len(got) != len(ctltest.Archived) {
		t.Fatalf("Archived = %d tasks, %v", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].FailedOrReceived().After(got[i-1].FailedOrReceived()) {
			t.Errorf("task %d (%s, %v) is newer than task %d (%s, %v)", i, got[i].ID, got[i].FailedOrReceived(), i-1, got[i-1].ID, got[i-1].FailedOrReceived())
		}
	}
	if last := got[len(got)-1]; last.ID != "stripe:app:evt_old" || !last.FailedOrReceived().Equal(ctltest.Old) {
		t.Errorf("last = %s at %v, want the hand-archived stripe:app:evt_old at %v", last.ID, last.FailedOrReceived(), ctltest.Old)
	}
}

func TestArchivedDecodes(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	got, err := c.Archived(context.Background(), ctl.Filter{IDs: []string{"stripe:app:evt_b"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("Archived = %v, %v", got, err)
	}
	g := got[0]
	want := ctl.Task{ID: "stripe:app:evt_b", State: "archived", Source: "stripe", Route: "app", EventID: "evt_b",
		EventType: "charge.refunded", MaxRetry: 0, Retried: 0, LastErr: ctltest.Failures["stripe:app:evt_b"]}
	gotPlain := ctl.Task{ID: g.ID, State: g.State, Source: g.Source, Route: g.Route, EventID: g.EventID,
		EventType: g.EventType, MaxRetry: g.MaxRetry, Retried: g.Retried, LastErr: g.LastErr}
	if diff := cmp.Diff(want, gotPlain); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	if g.LastFailedAt.IsZero() || time.Since(g.LastFailedAt) > time.Minute {
		t.Errorf("LastFailedAt = %v, want about now", g.LastFailedAt)
	}
	if g.Event == nil || string(g.Event.Body) != `{"id":"evt_b","type":"charge.refunded"}` {
		t.Errorf("event body not decoded: %+v", g.Event)
	}
}

func TestArchivedEmptyRedis(t *testing.T) {
	c := ctl.New(redistest.Client(t), ctl.Topology{})
	got, err := c.Archived(context.Background(), ctl.Filter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("Archived on a fresh Redis = %v, %v; want nothing, no error", got, err)
	}
	qs, err := c.Stats(context.Background())
	if err != nil || len(qs) != 0 {
		t.Fatalf("Stats on a fresh Redis = %v, %v", qs, err)
	}
}

func TestSelect(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	tests := []struct {
		name        string
		filter      ctl.Filter
		want, notDL []string
	}{
		{"TaskAndEventIDs", ctl.Filter{IDs: []string{"stripe:app:evt_a", "evt_b", ctltest.Pending, "nope"}},
			[]string{"stripe:app:evt_a", "stripe:app:evt_b"}, []string{ctltest.Pending + " (pending)", "nope"}},
		{"IDsNarrowedByFilter", ctl.Filter{IDs: []string{"evt_a"}, Route: "app"}, []string{"stripe:app:evt_a"}, nil},
		{"FilterOnly", ctl.Filter{Source: "github"}, []string{"github:ci:gh_1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notDL, err := c.Select(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := idsDiff(tt.want, got); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.notDL, notDL); diff != "" {
				t.Errorf("not archived (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFind(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	tests := []struct {
		id   string
		want []string
	}{
		{ctltest.Pending, []string{ctltest.Pending}},
		{"stripe:app:evt_a", []string{"stripe:app:evt_a"}},
		{"evt_a", []string{"stripe:app:evt_a", "stripe:audit:evt_a"}},
		{"nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := c.Find(context.Background(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := idsDiff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplayAndDelete(t *testing.T) {
	c, rdb := setup(t, ctl.Topology{})
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	calls := 0
	o, err := c.Replay(ctx, []string{"stripe:app:evt_a", "github:ci:gh_1", "nope"}, func() { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ctl.Outcome{Done: 2, NotFound: 1}, o); diff != "" {
		t.Errorf("replay outcome (-want +got):\n%s", diff)
	}
	if calls != 3 {
		t.Errorf("progress called %d times, want 3", calls)
	}
	info, err := insp.GetTaskInfo(queue.Queue, "stripe:app:evt_a")
	if err != nil || info.State != asynq.TaskStatePending || info.LastErr == "" {
		t.Fatalf("replayed task = %+v, %v; want pending and its last error kept", info, err)
	}
	// Replaying a task that is no longer archived is a failure, not a no-op.
	o, _ = c.Replay(ctx, []string{"stripe:app:evt_a"}, nil)
	if o.Done != 0 || len(o.Failed) != 1 || !strings.HasPrefix(o.Failed[0], "stripe:app:evt_a: ") {
		t.Errorf("second replay = %+v, want one failure", o)
	}

	o, err = c.Delete(ctx, []string{"stripe:audit:evt_a", "stripe:audit:evt_a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ctl.Outcome{Done: 1, NotFound: 1}, o); diff != "" {
		t.Errorf("delete outcome (-want +got):\n%s", diff)
	}
	if _, err := insp.GetTaskInfo(queue.Queue, "stripe:audit:evt_a"); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("deleted task: GetTaskInfo err = %v, want ErrTaskNotFound", err)
	}
	left, _ := c.Archived(ctx, ctl.Filter{})
	if diff := idsDiff([]string{"seed:forms:txt_1", "stripe:app:evt_b", "stripe:app:evt_old"}, left); diff != "" {
		t.Errorf("archive after replay+delete (-want +got):\n%s", diff)
	}
}

func TestStats(t *testing.T) {
	c, _ := setup(t, ctl.Topology{})
	qs, err := c.Stats(context.Background())
	if err != nil || len(qs) != 1 {
		t.Fatalf("Stats = %v, %v", qs, err)
	}
	q := qs[0]
	n := len(ctltest.Failures)
	if diff := cmp.Diff([]int{1, 0, 6, 7, n, n}, []int{q.Pending, q.Active, q.Archived, q.Size, q.Processed, q.Failed}); diff != "" {
		t.Errorf("pending, active, archived, size, processed, failed (-want +got):\n%s", diff)
	}
	if q.Queue != queue.Queue || q.MemoryUsage <= 0 {
		t.Errorf("queue %q memory %d", q.Queue, q.MemoryUsage)
	}
	m, err := c.CountMarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// stripe: evt_a, evt_b, evt_old, evt_p, evt_done; github: gh_1; seed: txt_1.
	want := ctl.Marks{Total: 7, BySource: map[string]int{"stripe": 5, "github": 1, "seed": 1}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
}

func TestInspect(t *testing.T) {
	type route struct{ Route, State string }
	tests := []struct {
		name    string
		topo    ctl.Topology
		eventID string
		source  string
		marks   []string
		routes  []route
		verdict string
		scanned bool
	}{
		{name: "DeadLettered", topo: configured(), eventID: "evt_a", marks: []string{"stripe"}, routes: []route{{"app", "archived"}, {"audit", "archived"}}, verdict: "tasks exist (app: archived, audit: archived)"},
		{name: "PendingOneRouteNotRouted", topo: configured(), eventID: "evt_p", marks: []string{"stripe"}, routes: []route{{"app", "pending"}, {"audit", ""}}, verdict: "tasks exist (app: pending); the other routes' tasks finished or were never enqueued"},
		{name: "Finished", topo: configured(), eventID: ctltest.Done, marks: []string{"stripe"}, routes: []route{{"app", ""}, {"audit", ""}}, verdict: "processed (or deduped) — task finished; Asynq keeps no succeeded task"},
		{name: "Unknown", topo: configured(), eventID: "nope", verdict: "not found: never received, ignored (no route matched), deleted, or its dedupe window has passed", scanned: true},
		{name: "UnknownOneSource", topo: configured(), eventID: "nope", source: "github", routes: []route{{"ci", ""}}, verdict: "not found: never received, ignored (no route matched), deleted, or its dedupe window has passed", scanned: true},
		{name: "ScanWithoutConfig", topo: ctl.Topology{}, eventID: "evt_a", marks: []string{"stripe"}, routes: []route{{"app", "archived"}, {"audit", "archived"}}, verdict: "tasks exist (app: archived, audit: archived)", scanned: true},
		{name: "ScanWithSource", topo: ctl.Topology{}, eventID: "gh_1", source: "github", marks: []string{"github"}, routes: []route{{"ci", "archived"}}, verdict: "tasks exist (ci: archived)", scanned: true},
		{name: "ScanFinished", topo: ctl.Topology{}, eventID: ctltest.Done, marks: []string{"stripe"}, verdict: "processed (or deduped) — task finished; Asynq keeps no succeeded task", scanned: true},
	}
	rdb := redistest.Client(t)
	ctltest.Seed(t, rdb)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ctl.New(rdb, tt.topo).Inspect(context.Background(), tt.eventID, tt.source)
			if err != nil {
				t.Fatal(err)
			}
			var marks []string
			for _, m := range w.Marks {
				marks = append(marks, m.Source)
				if m.TTL <= 0 || m.TTL > ctltest.MarkTTL*5/4 {
					t.Errorf("mark %s ttl = %v, want in (0, %v]", m.Key, m.TTL, ctltest.MarkTTL*5/4)
				}
				if _, src, ok := queue.SplitMarkBucket(m.Key); !ok || src != m.Source || !rdb.HExists(context.Background(), m.Key, tt.eventID).Val() {
					t.Errorf("mark key %q", m.Key)
				}
			}
			var routes []route
			for _, r := range w.Routes {
				st := ""
				if r.Task != nil {
					st = r.Task.State
				}
				routes = append(routes, route{r.Route, st})
			}
			if diff := cmp.Diff(tt.marks, marks); diff != "" {
				t.Errorf("marks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.routes, routes); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.verdict, w.Verdict()); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if w.Scanned != tt.scanned || w.Truncated {
				t.Errorf("scanned %v truncated %v, want scanned %v", w.Scanned, w.Truncated, tt.scanned)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"36h", now.Add(-36 * time.Hour), false},
		{"7d", now.Add(-7 * 24 * time.Hour), false},
		{"2025-05-01T10:00:00Z", time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), false},
		{"2025-05-01T10:00:00+02:00", time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC), false},
		{"2025-05-01", time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), false},
		{"yesterday", time.Time{}, true},
		{"-5m", time.Time{}, true},
		{"1.5d", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ctl.ParseTime(tt.in, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterValidate(t *testing.T) {
	if err := (ctl.Filter{Type: "charge.["}).Validate(); err == nil {
		t.Error("bad glob accepted")
	}
	if err := (ctl.Filter{Type: "charge.*", Route: "a?p"}).Validate(); err != nil {
		t.Error(err)
	}
}
