package validate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookq/hookq/internal/queue"
)

// pendingList is Asynq's pending list of queue qname, the key KEDA's Redis
// scalers measure.
func pendingList(qname string) string { return "asynq:{" + qname + "}:pending" }

// shardTriggerErrors checks the worker ScaledObject's triggers against the
// config's queue.shards: one trigger per shard queue, no other, and with
// several triggers a scalingModifiers formula that adds every trigger up
// (without it the HPA scales on the busiest shard alone, so N evenly loaded
// shards would get N times too few workers).
func shardTriggerErrors(shards queue.Shards, triggers []kedaTrigger, sm *scalingModifiers) []error {
	var errs []error
	var want []string
	for _, n := range shards.Names() {
		want = append(want, pendingList(n))
	}
	have := map[string]int{}
	for _, tr := range triggers {
		have[tr.Metadata["listName"]]++
	}
	for _, l := range want {
		if have[l] != 1 {
			errs = append(errs, fmt.Errorf("%d triggers on %q, want 1", have[l], l))
		}
	}
	for l := range have {
		if !slices.Contains(want, l) {
			errs = append(errs, fmt.Errorf("trigger on %q, which is not a queue of queue.shards", l))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, fmt.Errorf("queue.shards: %d wants exactly one trigger per list: %s", len(want), strings.Join(want, ", ")))
	}
	if len(triggers) < 2 {
		return errs
	}
	if sm == nil || sm.Target == "" {
		return append(errs, fmt.Errorf("%d triggers without advanced.scalingModifiers (formula and target): the HPA would scale on the busiest shard alone", len(triggers)))
	}
	var names, terms []string
	for _, tr := range triggers {
		names = append(names, tr.Name)
	}
	for _, term := range strings.Split(sm.Formula, "+") {
		terms = append(terms, strings.TrimSpace(term))
	}
	slices.Sort(names)
	slices.Sort(terms)
	if !slices.Equal(names, terms) || slices.Contains(names, "") {
		errs = append(errs, fmt.Errorf("scalingModifiers.formula %q: want the sum of every trigger's name (%s)", sm.Formula, strings.Join(names, ", ")))
	}
	if sm.MetricType != "" && sm.MetricType != "AverageValue" {
		errs = append(errs, fmt.Errorf("scalingModifiers.metricType %s: want AverageValue (target tasks per worker)", sm.MetricType))
	}
	return errs
}

// The check refuses every way the triggers can drift from queue.shards.
func TestShardTriggerErrors(t *testing.T) {
	trig := func(name, qname string) kedaTrigger {
		return kedaTrigger{Name: name, Metadata: map[string]string{"listName": pendingList(qname)}}
	}
	three := queue.NewShards(3).Names()
	sum := &scalingModifiers{Formula: "s0 + s1 + s2", Target: "200"}
	good := []kedaTrigger{trig("s0", three[0]), trig("s1", three[1]), trig("s2", three[2])}
	for _, c := range []struct {
		name     string
		shards   int
		triggers []kedaTrigger
		sm       *scalingModifiers
		wantErr  string
	}{
		{name: "one queue", shards: 1, triggers: []kedaTrigger{trig("", queue.Queue)}},
		{name: "three shards", shards: 3, triggers: good, sm: sum},
		{name: "unsharded trigger, 3 shards", shards: 3, triggers: []kedaTrigger{trig("", queue.Queue)}, wantErr: "which is not a queue"},
		{name: "shard missing", shards: 3, triggers: good[:2], sm: &scalingModifiers{Formula: "s0+s1", Target: "200"}, wantErr: `0 triggers on "` + pendingList(three[2])},
		{name: "shard twice", shards: 3, triggers: append(slices.Clone(good), trig("s3", three[0])), sm: &scalingModifiers{Formula: "s0+s1+s2+s3", Target: "200"}, wantErr: "2 triggers"},
		{name: "fewer shards configured", shards: 2, triggers: good, sm: sum, wantErr: "not a queue of queue.shards"},
		{name: "no sum", shards: 3, triggers: good, wantErr: "busiest shard"},
		{name: "sum misses a trigger", shards: 3, triggers: good, sm: &scalingModifiers{Formula: "s0 + s1", Target: "200"}, wantErr: "want the sum"},
		{name: "max, not sum", shards: 3, triggers: good, sm: &scalingModifiers{Formula: "max(s0, s1, s2)", Target: "200"}, wantErr: "want the sum"},
	} {
		errs := shardTriggerErrors(queue.NewShards(c.shards), c.triggers, c.sm)
		msg := fmt.Sprint(errs)
		switch {
		case c.wantErr == "" && len(errs) > 0:
			t.Errorf("%s: %v", c.name, errs)
		case c.wantErr != "" && !strings.Contains(msg, c.wantErr):
			t.Errorf("%s: errors %v, want one containing %q", c.name, errs, c.wantErr)
		}
	}
}
