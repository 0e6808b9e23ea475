package queue

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dedupe marks are fields of small hashes, not keys of their own: a key
// costs Redis its dict entry, its name, an object and an expiry entry
// (about 150 B a mark), a field of a listpack-encoded hash about 28 B.
//
// A mark bucket is one hash per source, shard, time bucket and slice:
//
//	hookq:{<queue>}:marks:<source>:<width ms>:<bucket>:<slice>
//
// field the event id, value the accepting attempt's nonce. The window W
// (the source's dedupe_ttl) is cut into markBucketsPerWindow buckets of
// width B = W/markBucketsPerWindow; bucket k covers [kB, (k+1)B) of the
// ingest process's clock and expires as a whole at (k+1)B + W. A mark
// written at t therefore lives at least W and less than W + B, and Enqueue
// looks in every bucket that can hold a mark younger than W (from
// floor((now-W)/B) to floor(now/B)), plus the next one, for a process whose
// clock runs up to one bucket ahead.
//
// The slice (a hash of the event id, markSlices of them) keeps a bucket's
// hashes small enough for Redis's compact listpack encoding: Redis turns a
// hash into a hashtable past hash-max-listpack-entries fields (default
// 512) or a field or value longer than hash-max-listpack-value (default 64
// bytes), and a mark then costs about 90 B. With the defaults one source
// and shard keeps listpack marks up to 256 × 512 = 131,072 events per
// bucket (W/4: 18h with the default 72h window, about 2 events/s); above,
// raise hash-max-listpack-entries (a lookup scans at most that many fields)
// or add queue.shards. Below about 2,000 events per bucket the hashes' own
// keys dominate (some 180 B per mark at 256 events), which is little memory
// in all.
const (
	markBucketsPerWindow = 4
	markSlices           = 256
)

func markPrefix(qname string) string { return "hookq:{" + qname + "}:marks:" }

// markWidth is the bucket width of a window, in ms (at least 1).
func markWidth(window time.Duration) int64 {
	return max(window.Milliseconds()/markBucketsPerWindow, 1)
}

func markSlice(eventID string) string {
	h := fnv.New32a()
	h.Write([]byte(eventID))
	return strconv.FormatUint(uint64(h.Sum32()%markSlices), 10)
}

// markBuckets returns the bucket keys Enqueue looks in, oldest first, and
// the index of the one it writes (the current bucket).
func markBuckets(qname, source, eventID string, window time.Duration, now time.Time) (keys []string, write int) {
	width := markWidth(window)
	ms := now.UnixMilli()
	lo, cur := (ms-window.Milliseconds())/width, ms/width
	prefix := markPrefix(qname) + source + ":" + strconv.FormatInt(width, 10) + ":"
	slice := ":" + markSlice(eventID)
	for k := lo; k <= cur+1; k++ {
		keys = append(keys, prefix+strconv.FormatInt(k, 10)+slice)
	}
	return keys, int(cur - lo)
}

// MarkBucketsIn is MarkBuckets in queue qname's slot.
func MarkBucketsIn(qname, source, eventID string, window time.Duration, now time.Time) []string {
	keys, _ := markBuckets(qname, source, eventID, window, now)
	return keys
}

// markExpiry is how long the current bucket has left to live: to its end
// plus the window.
func markExpiry(window time.Duration, now time.Time) int64 {
	width := markWidth(window)
	ms := now.UnixMilli()
	return (ms/width+1)*width + window.Milliseconds() - ms
}

// SplitMarkBucket parses a mark bucket key of any shard (MarkBuckets).
func SplitMarkBucket(key string) (qname, source string, ok bool) {
	rest, ok := strings.CutPrefix(key, "hookq:{")
	if !ok {
		return "", "", false
	}
	qname, rest, ok = strings.Cut(rest, "}:marks:")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 4 {
		return "", "", false
	}
	for _, p := range parts[1:] {
		if _, err := strconv.ParseInt(p, 10, 64); err != nil {
			return "", "", false
		}
	}
	return qname, parts[0], true
}

// MarkBucketPattern is a SCAN pattern matching every shard's mark buckets
// that can hold eventID's mark (every bucket when eventID is "").
func MarkBucketPattern(eventID string) string {
	p := EscapeGlob("hookq:{"+Queue) + "*}:marks:*"
	if eventID != "" {
		p += ":" + markSlice(eventID)
	}
	return p
}

// legacyMarkKey is the mark of hookq versions that kept one key per event.
// Enqueue and Seen still honour it, so an upgrade keeps deduplicating the
// events accepted before it; such keys expire within one window.
func legacyMarkKey(qname, source, eventID string) string {
	return "hookq:{" + qname + "}:seen:" + source + ":" + eventID
}

// Marked reports whether the event has a dedupe mark within window, read
// in its own slot (tests and tools; Enqueue decides atomically).
func (s Shards) Marked(ctx context.Context, rdb redis.Cmdable, source, eventID string, window time.Duration) (bool, error) {
	qname := s.For(source, eventID)
	keys, _ := markBuckets(qname, source, eventID, window, time.Now())
	n, err := markedScript.Run(ctx, rdb, append([]string{legacyMarkKey(qname, source, eventID)}, keys...), eventID).Int()
	if err != nil {
		return false, fmt.Errorf("queue: mark of %s/%s: %v", source, eventID, err)
	}
	return n == 1, nil
}

// Marked is Shards.Marked with one shard.
func Marked(ctx context.Context, rdb redis.Cmdable, source, eventID string, window time.Duration) (bool, error) {
	return Shards{}.Marked(ctx, rdb, source, eventID, window)
}

// KEYS[1] legacy mark, KEYS[2..] buckets; ARGV[1] event id. One slot, one
// round trip, read only.
var markedScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 1 end
for i = 2, #KEYS do
  if redis.call("HEXISTS", KEYS[i], ARGV[1]) == 1 then return 1 end
end
return 0
`)

// EscapeGlob quotes Redis glob metacharacters so s matches only itself in
// a SCAN or KEYS pattern.
func EscapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
