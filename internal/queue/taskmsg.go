package queue

import (
	"sort"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// encodeTaskMessage writes Asynq v0.26.0's TaskMessage protobuf
// (internal/proto/asynq.proto) for a new pending task: type=1, payload=2,
// id=3, queue=4, retry=5, timeout=8 (seconds), retention=12 (seconds),
// headers=15. Unset fields take the same zero values asynq.Client leaves
// (deadline 0 = none, retention 0 = deleted when done).
func encodeTaskMessage(typ string, payload []byte, headers map[string]string, id, queue string, retry int, timeout, retention time.Duration) []byte {
	b := make([]byte, 0, len(payload)+len(typ)+len(id)+len(queue)+64)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, typ)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, payload)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, id)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendString(b, queue)
	if retry != 0 {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int32(retry)))
	}
	if secs := int64(timeout / time.Second); secs > 0 {
		b = protowire.AppendTag(b, 8, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	if secs := int64(retention / time.Second); secs > 0 {
		b = protowire.AppendTag(b, 12, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	keys := make([]string, 0, len(headers))
	for k := range headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e []byte
		e = protowire.AppendTag(e, 1, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, 2, protowire.BytesType)
		e = protowire.AppendString(e, headers[k])
		b = protowire.AppendTag(b, 15, protowire.BytesType)
		b = protowire.AppendBytes(b, e)
	}
	return b
}
