package webhook

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// An envelope is JSON; above compressAbove bytes it is stored as a zstd frame
// instead, when that is smaller. A pending task is otherwise about twice its
// body in Redis memory, and webhook JSON (repeated keys, ids, timestamps)
// compresses well. The two never collide: JSON starts with '{', a zstd frame
// with its magic number, so Decode tells them apart and tasks written before
// compression existed still decode.
const compressAbove = 512

// maxExpanded bounds what Decode inflates: a task payload is never larger
// than a body ingest accepts plus its envelope, so anything more is not ours.
const maxExpanded = 64 << 20

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Frames use envelopeDict (dict.go); a frame without a dictionary decodes too.
// One encoder and one decoder per process, made on first use: both are safe
// for concurrent EncodeAll/DecodeAll and keep their state between calls.
var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderDictRaw(envelopeDictID, []byte(envelopeDict)),
			// A 64 KiB window: priming the dictionary costs in proportion to
			// it (3x the time per 1 KB envelope at the default 8 MiB).
			zstd.WithWindowSize(1<<16))
		if err != nil {
			panic(err) // only for invalid options
		}
		return e
	})
	decoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxExpanded), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderDictRaw(envelopeDictID, []byte(envelopeDict)))
		if err != nil {
			panic(err)
		}
		return d
	})
)

// Encode renders e as a task payload: the JSON envelope, zstd-compressed
// when it is over compressAbove bytes and compression makes it smaller.
// Decode(Encode(e)) gives e back.
func Encode(e *Event) []byte {
	j := encodeJSON(e)
	if len(j) <= compressAbove {
		return j
	}
	z := encoder().EncodeAll(j, make([]byte, 0, len(j)*3/4))
	if len(z) >= len(j) {
		return j
	}
	return z
}

// Decode parses a task payload written by Encode, compressed or not.
func Decode(payload []byte) (*Event, error) {
	j, err := Expand(payload)
	if err != nil {
		return nil, err
	}
	return decodeJSON(j)
}

// Expand returns a payload's JSON envelope: payload itself, or its
// decompression when Encode compressed it. The dashboard and hookqctl show
// the JSON.
func Expand(payload []byte) ([]byte, error) {
	if !bytes.HasPrefix(payload, zstdMagic) {
		return payload, nil
	}
	j, err := decoder().DecodeAll(payload, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrBadEnvelope, err)
	}
	return j, nil
}
