package queue

// This file is the fence around Asynq's internals. hookq writes tasks into
// Asynq's Redis layout by hand because no public Asynq API enqueues a dedupe
// mark and N tasks atomically (see the package comment). Everything that
// copies a private detail of Asynq lives here, verified against one
// version, AsynqVersion; TestAsynqVersion fails on any other, and
// TestCompatibleWithAsynq proves a real Asynq server and Inspector read
// what is written. Upgrading Asynq means re-reading the sources cited below.

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// AsynqVersion is the only github.com/hibiken/asynq version this file was
// checked against.
const AsynqVersion = "v0.26.0"

// Key builders, named and built as in asynq v0.26.0 internal/base/base.go.
// Every key of a queue carries the queue name as its cluster hash tag, so a
// queue lives in one slot.

// AllQueues is the set of every queue name (base.AllQueues).
const AllQueues = "asynq:queues"

// QueueKeyPrefix is the prefix of all keys of queue qname.
func QueueKeyPrefix(qname string) string { return "asynq:{" + qname + "}:" }

// TaskKeyPrefix is the prefix of the task hashes of qname.
func TaskKeyPrefix(qname string) string { return QueueKeyPrefix(qname) + "t:" }

// TaskKey is the hash of one task (msg, state, pending_since…).
func TaskKey(qname, id string) string { return TaskKeyPrefix(qname) + id }

// SplitTaskKey parses a TaskKey.
func SplitTaskKey(key string) (qname, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, "asynq:{")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "}:t:")
}

// PendingKey is the list of pending task ids of qname.
func PendingKey(qname string) string { return QueueKeyPrefix(qname) + "pending" }

// ArchivedKey is the sorted set of archived (dead) task ids of qname.
func ArchivedKey(qname string) string { return QueueKeyPrefix(qname) + "archived" }

// CompletedKey is the sorted set of completed task ids of qname (kept with retention).
func CompletedKey(qname string) string { return QueueKeyPrefix(qname) + "completed" }

// Asynq v0.26.0 keeps at most 9,999 archived tasks per queue and none older
// than 90 days, trimming the oldest without any signal when another task is
// archived (internal/rdb/rdb.go: maxArchiveSize = 10000, archivedExpirationInDays = 90).
const (
	archiveKeep = 10000 - 1
	archiveAge  = 90 * 24 * time.Hour
)

// TaskMessage field numbers, from asynq v0.26.0 internal/proto/asynq.proto
// (message TaskMessage, and its map<string,string> headers entry).
const (
	fieldType      protowire.Number = 1  // string type
	fieldPayload   protowire.Number = 2  // bytes payload
	fieldID        protowire.Number = 3  // string id
	fieldQueue     protowire.Number = 4  // string queue
	fieldRetry     protowire.Number = 5  // int32 retry
	fieldTimeout   protowire.Number = 8  // int64 timeout, seconds
	fieldRetention protowire.Number = 12 // int64 retention, seconds
	fieldHeaders   protowire.Number = 15 // map<string, string> headers
	fieldMapKey    protowire.Number = 1  // a map entry's key
	fieldMapValue  protowire.Number = 2  // a map entry's value
)

// writeTaskLua defines write_task, the body of asynq v0.26.0's enqueueCmd
// (internal/rdb/rdb.go): a pending task is a hash with the encoded message,
// its state and pending_since (ns), and its id pushed on the pending list.
// Every script that creates a task starts with it.
const writeTaskLua = `
local function write_task(task_key, pending_key, id, msg, now_ns)
  redis.call("HSET", task_key, "msg", msg, "state", "pending", "pending_since", now_ns)
  redis.call("LPUSH", pending_key, id)
end
`

// encodeTaskMessage writes the TaskMessage of a new pending task. Unset
// fields take the same zero values asynq.Client leaves (deadline 0 = none,
// retention 0 = deleted when done).
func encodeTaskMessage(typ string, payload []byte, headers map[string]string, id, queue string, retry int, timeout, retention time.Duration) []byte {
	b := make([]byte, 0, len(payload)+len(typ)+len(id)+len(queue)+64)
	b = protowire.AppendTag(b, fieldType, protowire.BytesType)
	b = protowire.AppendString(b, typ)
	b = protowire.AppendTag(b, fieldPayload, protowire.BytesType)
	b = protowire.AppendBytes(b, payload)
	b = protowire.AppendTag(b, fieldID, protowire.BytesType)
	b = protowire.AppendString(b, id)
	b = protowire.AppendTag(b, fieldQueue, protowire.BytesType)
	b = protowire.AppendString(b, queue)
	if retry != 0 {
		b = protowire.AppendTag(b, fieldRetry, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int32(retry)))
	}
	if secs := int64(timeout / time.Second); secs > 0 {
		b = protowire.AppendTag(b, fieldTimeout, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	if secs := int64(retention / time.Second); secs > 0 {
		b = protowire.AppendTag(b, fieldRetention, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	keys := make([]string, 0, len(headers))
	for k := range headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e []byte
		e = protowire.AppendTag(e, fieldMapKey, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, fieldMapValue, protowire.BytesType)
		e = protowire.AppendString(e, headers[k])
		b = protowire.AppendTag(b, fieldHeaders, protowire.BytesType)
		b = protowire.AppendBytes(b, e)
	}
	return b
}

// published registers queue names in AllQueues once per process, as asynq
// v0.26.0's RDB.Enqueue does (its queuesPublished map), outside any
// script: AllQueues is in another cluster slot than the queue's keys.
// Without the registration the Inspector, Asynqmon and hookqctl would not
// list the queue.
type published struct {
	done sync.Map // queue name → struct{}
}

func (p *published) register(ctx context.Context, rdb redis.UniversalClient, qname string) error {
	if _, ok := p.done.Load(qname); ok {
		return nil
	}
	if err := rdb.SAdd(ctx, AllQueues, qname).Err(); err != nil {
		return err
	}
	p.done.Store(qname, struct{}{})
	return nil
}
