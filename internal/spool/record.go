package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// A record is one spooled event with everything its enqueue needs, so the
// drain repeats exactly the attempt that failed:
//
//	version(1) crc32c(4, over the rest) appended_at(8, unix ns) nonce ttl(ns)
//	ntasks {route max_retry timeout(ns) nheaders {key value}} nheaders {key value} envelope
//
// strings and the envelope are uvarint-length-prefixed, integers varints.
// bbolt already makes a commit all-or-nothing; the checksum is the second
// line, for a page that reached the disk damaged.
type record struct {
	appendedAt time.Time
	nonce      string
	ttl        time.Duration
	tasks      []webhook.Task
	headers    map[string]string
	ev         *webhook.Event
}

const recordVersion = 1

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt = errors.New("spool: corrupt record")
)

func (r *record) encode() []byte {
	env := webhook.Encode(r.ev)
	b := make([]byte, 5, 64+len(env))
	b[0] = recordVersion
	b = binary.AppendVarint(b, r.appendedAt.UnixNano())
	b = appendString(b, r.nonce)
	b = binary.AppendVarint(b, int64(r.ttl))
	b = binary.AppendUvarint(b, uint64(len(r.tasks)))
	for _, t := range r.tasks {
		b = appendString(b, t.Route)
		b = binary.AppendVarint(b, int64(t.MaxRetry))
		b = binary.AppendVarint(b, int64(t.Timeout))
		b = appendMap(b, t.Headers)
	}
	b = appendMap(b, r.headers)
	b = appendString(b, string(env))
	binary.BigEndian.PutUint32(b[1:5], crc32.Checksum(b[5:], castagnoli))
	return b
}

func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = appendString(b, k)
		b = appendString(b, v)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRecord parses what encode wrote; any damage is errCorrupt.
func decodeRecord(b []byte) (*record, error) {
	if len(b) < 5 || b[0] != recordVersion {
		return nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	if crc32.Checksum(b[5:], castagnoli) != binary.BigEndian.Uint32(b[1:5]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	d := decoder{b: b[5:]}
	r := &record{}
	r.appendedAt = time.Unix(0, d.varint())
	r.nonce = d.string()
	r.ttl = time.Duration(d.varint())
	n := d.uvarint()
	if n > 1024 {
		d.err = true
	}
	for i := uint64(0); i < n && !d.err; i++ {
		t := webhook.Task{Route: d.string(), MaxRetry: int(d.varint()), Timeout: time.Duration(d.varint())}
		t.Headers = d.stringMap()
		r.tasks = append(r.tasks, t)
	}
	r.headers = d.stringMap()
	env := d.string()
	if d.err || len(d.b) != 0 {
		return nil, fmt.Errorf("%w: bad layout", errCorrupt)
	}
	ev, err := webhook.Decode([]byte(env))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	r.ev = ev
	return r, nil
}

// appendedAt reads only the time a record was appended, for the age gauge.
func appendedAt(b []byte) (time.Time, bool) {
	if len(b) < 6 || b[0] != recordVersion {
		return time.Time{}, false
	}
	v, n := binary.Varint(b[5:])
	if n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(0, v), true
}

type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// stringMap reads what appendMap wrote; nil when empty.
func (d *decoder) stringMap() map[string]string {
	n := d.uvarint()
	if n > 1024 {
		d.err = true
	}
	var m map[string]string
	for i := uint64(0); i < n && !d.err; i++ {
		if m == nil {
			m = map[string]string{}
		}
		k := d.string()
		m[k] = d.string()
	}
	return m
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
