package queue

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Shards are the Asynq queues webhook tasks are spread over. One Asynq
// queue lives in one Redis Cluster slot (its keys share the hash tag
// {name}), so a single hot queue cannot use more than one master; N queues
// can. An event's shard is a hash of its source and id, so its retries,
// its duplicates and every route's task land in the same queue, and its
// dedupe mark carries the same hash tag: the enqueue script touches one
// slot.
//
// The zero value and NewShards(1) are the single queue Queue, exactly as
// before sharding existed.
type Shards struct {
	names []string
}

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// NewShards names n queues. Shard i is called Queue-i, or Queue-i-k with
// the smallest k that puts its hash slot in the i-th of n equal slot
// ranges: a cluster whose masters split the slots evenly (what
// `redis-cli --cluster create` does) then holds the shards on different
// masters, and the names depend on n alone, so every process agrees.
func NewShards(n int) Shards {
	if n <= 1 {
		return Shards{}
	}
	names := make([]string, n)
	for i := range n {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
		name := Queue + "-" + strconv.Itoa(i)
		for k := 1; ; k++ {
			if s := Slot(name); s >= lo && s < hi {
				break
			}
			name = Queue + "-" + strconv.Itoa(i) + "-" + strconv.Itoa(k)
		}
		names[i] = name
	}
	return Shards{names: names}
}

// Names lists the queues, shard 0 first.
func (s Shards) Names() []string {
	if len(s.names) == 0 {
		return []string{Queue}
	}
	return s.names
}

// Weights serves every shard with the same weight (asynq.Config.Queues).
func (s Shards) Weights() map[string]int {
	w := make(map[string]int, len(s.Names()))
	for _, n := range s.Names() {
		w[n] = 1
	}
	return w
}

// For is the queue of an event.
func (s Shards) For(source, eventID string) string {
	if len(s.names) == 0 {
		return Queue
	}
	h := fnv.New64a()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(eventID))
	return s.names[h.Sum64()%uint64(len(s.names))]
}

// ForTask is the queue of a task id (webhook.TaskID: source:route:event id;
// names never contain ':', ids may).
func (s Shards) ForTask(taskID string) string {
	parts := strings.SplitN(taskID, ":", 3)
	if len(parts) != 3 {
		return s.Names()[0]
	}
	return s.For(parts[0], parts[2])
}

// MarkBuckets are the keys that may hold the dedupe mark of an event now,
// in its shard's slot (see marks.go).
func (s Shards) MarkBuckets(source, eventID string, window time.Duration, now time.Time) []string {
	keys, _ := markBuckets(s.For(source, eventID), source, eventID, window, now)
	return keys
}

// Slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash
// tag (the part between the first '{' and the next '}', when not empty),
// else of the whole key, modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % clusterSlots
}

// IsQueue reports whether qname is a queue hookq enqueues to with some
// number of shards: Queue, or a shard name of NewShards.
func IsQueue(qname string) bool {
	rest, ok := strings.CutPrefix(qname, Queue+"-")
	if !ok {
		return qname == Queue
	}
	for _, p := range strings.SplitN(rest, "-", 2) {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// DetectShards is the largest shard count whose queues all appear in
// registered (the queues of AllQueues), else one shard: what a tool
// without the config (hookqctl) assumes the deployment uses.
func DetectShards(registered []string) Shards {
	have := map[string]bool{}
	shardNames := 0 // n shards need n registered shard names: try no larger n
	for _, q := range registered {
		have[q] = true
		if q != Queue && IsQueue(q) {
			shardNames++
		}
	}
	for n := min(shardNames, 64); n > 1; n-- {
		s := NewShards(n)
		all := true
		for _, name := range s.Names() {
			all = all && have[name]
		}
		if all {
			return s
		}
	}
	return Shards{}
}
