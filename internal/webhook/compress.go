package webhook

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// An envelope is JSON; above compressAbove bytes it is stored compressed
// instead, when that is smaller. A pending task is otherwise about twice its
// body in Redis memory, and webhook JSON (repeated keys, ids, timestamps)
// compresses well.
//
// A compressed envelope is s2Magic, the CRC-32C of the JSON (big endian),
// then one S2 block primed with envelopeDict (dict.go). S2 was chosen over
// zstd on ingest's profile: zstd at its fastest level took 40 % of ingest's
// CPU (23 µs per 1.2 KB envelope, most of it re-priming the dictionary's
// tables), S2 takes 3 µs for a payload 14 % larger. S2 blocks carry no
// checksum, hence the CRC. Envelopes written as zstd frames by earlier
// versions still decode. The three never collide: JSON starts with '{', a
// zstd frame with its magic number, ours with a zero byte.
const compressAbove = 512

// maxExpanded bounds what Decode inflates: a task payload is never larger
// than a body ingest accepts plus its envelope, so anything more is not ours.
const maxExpanded = 64 << 20

var (
	s2Magic    = []byte{0x00, 'h', 's'}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// s2Dict primes every S2 block with envelopeDict, first repeat offset 0:
// both are part of the stored format.
var s2Dict = sync.OnceValue(func() *s2.Dict { return s2.MakeDictManual([]byte(envelopeDict), 0) })

// zstdDecoder reads envelopes earlier versions wrote as zstd frames
// (envelopeDict under envelopeDictID; a frame without a dictionary too).
// Made on first use; safe for concurrent DecodeAll.
var zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxExpanded), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderDictRaw(envelopeDictID, []byte(envelopeDict)))
	if err != nil {
		panic(err) // only for invalid options
	}
	return d
})

// Encode renders e as a task payload: the JSON envelope, compressed when it
// is over compressAbove bytes and compression makes it smaller.
// Decode(Encode(e)) gives e back.
func Encode(e *Event) []byte {
	j := encodeJSON(e)
	if len(j) <= compressAbove {
		return j
	}
	const head = 3 + 4 // s2Magic, CRC-32C
	z := make([]byte, head, head+s2.MaxEncodedLen(len(j)))
	copy(z, s2Magic)
	binary.BigEndian.PutUint32(z[len(s2Magic):], crc32.Checksum(j, castagnoli))
	// The block is written in place after the head (z has the room), so
	// this append copies it onto itself.
	z = append(z, s2Dict().Encode(z[head:cap(z)], j)...)
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
	switch {
	case bytes.HasPrefix(payload, s2Magic):
		return expandS2(payload[len(s2Magic):])
	case bytes.HasPrefix(payload, zstdMagic):
		j, err := zstdDecoder().DecodeAll(payload, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrBadEnvelope, err)
		}
		return j, nil
	default:
		return payload, nil
	}
}

func expandS2(p []byte) ([]byte, error) {
	if len(p) < 4 {
		return nil, fmt.Errorf("%w: s2: truncated", ErrBadEnvelope)
	}
	sum, block := binary.BigEndian.Uint32(p), p[4:]
	n, err := s2.DecodedLen(block)
	if err != nil || n > maxExpanded {
		return nil, fmt.Errorf("%w: s2: declared length %d: %v", ErrBadEnvelope, n, err)
	}
	j, err := s2Dict().Decode(make([]byte, n), block)
	if err != nil {
		return nil, fmt.Errorf("%w: s2: %v", ErrBadEnvelope, err)
	}
	if crc32.Checksum(j, castagnoli) != sum {
		return nil, fmt.Errorf("%w: s2: checksum mismatch", ErrBadEnvelope)
	}
	return j, nil
}
