package queue

import (
	"strconv"
	"testing"
	"time"
)

func TestSlot(t *testing.T) {
	// Values of CLUSTER KEYSLOT (the Redis Cluster specification's examples and redis-cli).
	for key, want := range map[string]int{"123456789": 12739, "foo": 12182, "bar": 5061,
		"{user1000}.following": 3443, "{user1000}.followers": 3443, "foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "foo{bar}{zap}": 5061} {
		if got := Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestShards(t *testing.T) {
	one := NewShards(1)
	if got := one.Names(); len(got) != 1 || got[0] != Queue || one.For("s", "e") != Queue {
		t.Fatalf("one shard must be today's queue: %v", got)
	}
	for _, n := range []int{2, 3, 4, 8} {
		s := NewShards(n)
		if len(s.Names()) != n {
			t.Fatalf("%d shards: %v", n, s.Names())
		}
		for i, name := range s.Names() {
			if slot := Slot(PendingKey(name)); slot < i*clusterSlots/n || slot >= (i+1)*clusterSlots/n {
				t.Errorf("%d shards: %s in slot %d, outside range %d", n, name, slot, i)
			}
		}
		hits := map[string]int{}
		for i := range 3000 {
			id := "evt_" + strconv.Itoa(i)
			q := s.For("stripe", id)
			hits[q]++
			if s.ForTask("stripe:app:"+id) != q {
				t.Fatalf("task and event disagree on the shard of %s", id)
			}
			for _, b := range s.MarkBuckets("stripe", id, time.Hour, time.Now()) {
				if Slot(b) != Slot(TaskKey(q, "stripe:app:"+id)) {
					t.Fatalf("mark and task of %s in different slots", id)
				}
			}
		}
		for _, name := range s.Names() {
			if hits[name] < 3000/n*8/10 { // a fair hash gives each about 1/n
				t.Errorf("%d shards: %s got %d of 3000 events: %v", n, name, hits[name], hits)
			}
		}
	}
	t.Logf("3 shards: %v", NewShards(3).Names())
}

func TestDetectShards(t *testing.T) {
	three := NewShards(3).Names()
	for _, c := range []struct {
		registered []string
		want       int
	}{{nil, 1}, {[]string{Queue}, 1}, {append([]string{Queue, "other"}, three...), 3}, {three[:2], 1}, {NewShards(8).Names(), 8}} {
		if got := len(DetectShards(c.registered).Names()); got != c.want {
			t.Errorf("DetectShards(%v) = %d shards, want %d", c.registered, got, c.want)
		}
	}
	for name, want := range map[string]bool{Queue: true, "webhooks-0": true, "webhooks-2-2": true, "webhooks-x": false, "other": false, "webhooks-1-": false} {
		if IsQueue(name) != want {
			t.Errorf("IsQueue(%q) != %v", name, want)
		}
	}
	if q, id, ok := SplitTaskKey(TaskKey("webhooks-1", "stripe:app:evt:1")); !ok || q != "webhooks-1" || id != "stripe:app:evt:1" {
		t.Errorf("SplitTaskKey: %q %q %v", q, id, ok)
	}
	for _, b := range NewShards(3).MarkBuckets("stripe", "evt:1", time.Hour, time.Now()) {
		if q, s, ok := SplitMarkBucket(b); !ok || !IsQueue(q) || s != "stripe" {
			t.Errorf("SplitMarkBucket(%s): %q %q %v", b, q, s, ok)
		}
	}
	if _, _, ok := SplitMarkBucket("hookq:{webhooks}:seen:stripe:evt_1"); ok {
		t.Error("SplitMarkBucket accepted a legacy per-event mark")
	}
}
