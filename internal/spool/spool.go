// Package spool keeps verified events on this replica's disk while Redis
// cannot take them, so ingest can still answer 200 truthfully, and drains
// them into Redis, in order, once it answers again.
//
// Spool decorates ingest's Enqueuer. An enqueue that fails with
// webhook.ErrQueueUnavailable (Redis unreachable, or slower than the
// request's deadline) is appended to a bbolt file instead: bbolt commits are
// all-or-nothing (data pages fsynced, then a checksummed meta page fsynced;
// a torn commit falls back to the previous meta), and concurrent appends
// share one commit (DB.Batch), so the fsync cost is paid per group, not per
// request. Each record also carries its own CRC-32C; a record that fails it
// is moved aside with a log line, never half-replayed.
//
// The drain repeats the failed attempt with the same attempt nonce
// (queue.WithNonce), through the same atomic script: if the "failed" attempt
// had in fact run in Redis, the script recognises its own mark and writes
// nothing; if another delivery of the event was accepted meanwhile, it
// answers duplicate. Either way the event's tasks are in Redis exactly once,
// and only then is the record deleted. A crash between the enqueue and the
// delete repeats the enqueue, which the nonce again resolves.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// Enqueuer is the Redis side the spool decorates (queue.Enqueuer). Only an
// Enqueuer that honours queue.WithNonce resolves a repeated attempt as its
// own acceptance; any other still dedupes it, as a duplicate.
type Enqueuer interface {
	Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate bool, err error)
}

// Metrics records what the spool did. A nil Metrics records nothing.
type Metrics interface {
	Spooled()              // an event was appended and acknowledged
	Refused()              // the spool could not take an event: the request got 503
	Drained(result string) // a record left the spool: accepted, duplicate, corrupt or rejected
}

// Options configure a Spool. Zero values mean the defaults.
type Options struct {
	Dir          string        // required; holds spool.db
	MaxBytes     int64         // total record bytes; past it events get 503. Default 1 GiB
	RedisTimeout time.Duration // bound of one drained enqueue; default 2s
	Metrics      Metrics
}

// Stats is the spool's state for the gauges.
type Stats struct {
	Records  int
	Bytes    int64
	MaxBytes int64
	Oldest   time.Time // when the oldest record was appended; zero when empty
}

var (
	eventsBucket   = []byte("events")
	corruptBucket  = []byte("corrupt")  // failed the checksum: kept for an operator, never replayed
	rejectedBucket = []byte("rejected") // Redis refused them for good (not an outage)
)

// ErrFull is returned (wrapped with the Redis error) when the spool has no
// room for an event.
var ErrFull = errors.New("spool full")

const (
	batchRecords = 256         // records per drain step
	batchBytes   = 8 << 20     // and at most this many bytes
	drainWindow  = 32          // enqueues in flight while draining
	maxBackoff   = time.Second // between drain probes of a failing Redis
)

// Spool is a durable local spool in front of an Enqueuer.
type Spool struct {
	inner Enqueuer
	log   *zap.Logger
	db    *bolt.DB
	opt   Options
	m     Metrics

	mu      sync.Mutex
	records int
	bytes   int64 // committed plus reserved by appends in flight
	full    bool  // an event was refused for room since the last drain
	broken  error // a failed commit: appends refused until restart

	// down: Redis failed last time it was asked. While it is and the spool
	// holds records, live events go straight to the spool instead of
	// waiting out the timeout on a Redis known to fail; the drain probes it.
	down   atomic.Bool
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// Open opens (or creates) the spool in opt.Dir and starts draining it into
// inner. Another process holding the same directory makes Open fail after
// a second: every ingest replica needs its own directory.
func Open(log *zap.Logger, inner Enqueuer, opt Options) (*Spool, error) {
	if opt.Dir == "" {
		return nil, errors.New("spool: no dir")
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 1 << 30
	}
	if opt.RedisTimeout <= 0 {
		opt.RedisTimeout = 2 * time.Second
	}
	if opt.Metrics == nil {
		opt.Metrics = nopMetrics{}
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	path := filepath.Join(opt.Dir, "spool.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("spool: open %s: %w", path, err)
	}
	// Group commit: appends arriving within 2 ms, or while a commit is
	// being fsynced, share the next one.
	db.MaxBatchDelay = 2 * time.Millisecond
	s := &Spool{inner: inner, log: log.With(zap.String("spool", path)), db: db, opt: opt, m: opt.Metrics,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{eventsBucket, corruptBucket, rejectedBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(eventsBucket).ForEach(func(_, v []byte) error {
			s.records++
			s.bytes += int64(len(v))
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	if s.records > 0 {
		s.log.Warn("spool holds events from before the restart: draining them into Redis", zap.Int("records", s.records), zap.Int64("bytes", s.bytes))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.drainLoop(ctx)
	return s, nil
}

// Close stops the drain and closes the file; records not drained yet stay
// on disk for the next Open.
func (s *Spool) Close() error {
	s.cancel()
	<-s.done
	return s.db.Close()
}

// Enqueue implements ingest's Enqueuer: a spooled event counts as accepted.
func (s *Spool) Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (bool, error) {
	dup, _, err := s.EnqueueOrSpool(ctx, ev, ttl, tasks, headers)
	return dup, err
}

// EnqueueOrSpool enqueues into Redis, or, when Redis is unavailable, appends
// the event to the spool; spooled reports the latter. It returns an error
// wrapping webhook.ErrQueueUnavailable only when neither worked (the spool
// is full or its disk failed), and any other error of the Enqueuer as is.
func (s *Spool) EnqueueOrSpool(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate, spooled bool, err error) {
	nonce := queue.NewNonce()
	var redisErr error
	if !s.down.Load() || s.count() <= 0 {
		dup, err := s.inner.Enqueue(queue.WithNonce(ctx, nonce), ev, ttl, tasks, headers)
		if err == nil && s.down.Load() {
			s.down.Store(false)
		}
		if err == nil || !errors.Is(err, webhook.ErrQueueUnavailable) {
			return dup, false, err
		}
		redisErr = err
		if !s.down.Swap(true) {
			s.log.Warn("Redis unavailable: events are spooled on this replica's disk", zap.Error(err))
		}
	}
	rec := &record{appendedAt: time.Now(), nonce: nonce, ttl: ttl, tasks: tasks, headers: headers, ev: ev}
	appendErr := s.append(rec)
	if appendErr == nil {
		s.m.Spooled()
		return false, true, nil
	}
	if redisErr == nil { // Redis was skipped: it is the last chance
		dup, err := s.inner.Enqueue(queue.WithNonce(ctx, nonce), ev, ttl, tasks, headers)
		if err == nil || !errors.Is(err, webhook.ErrQueueUnavailable) {
			return dup, false, err
		}
		redisErr = err
	}
	s.m.Refused()
	return false, false, fmt.Errorf("%w; %v", redisErr, appendErr)
}

// append makes rec durable or says why not.
func (s *Spool) append(rec *record) error {
	v := rec.encode()
	s.mu.Lock()
	if s.broken != nil {
		s.mu.Unlock()
		return fmt.Errorf("spool unusable: %v", s.broken)
	}
	if s.bytes+int64(len(v)) > s.opt.MaxBytes {
		s.full = true
		s.mu.Unlock()
		return fmt.Errorf("%w (%d bytes of %d)", ErrFull, s.bytes, s.opt.MaxBytes)
	}
	s.bytes += int64(len(v))
	s.mu.Unlock()

	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(eventsBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
	})

	s.mu.Lock()
	if err != nil {
		s.bytes -= int64(len(v))
		if s.broken == nil {
			// After a failed fsync the file's state is unknown to us
			// (fsyncgate): take no more events on it.
			s.broken = err
			s.log.Error("spool write failed: refusing events until restart", zap.Error(err))
		}
	} else {
		s.records++
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("spool: append: %w", err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *Spool) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Accepting reports whether the spool can take events now (for /readyz).
func (s *Spool) Accepting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken == nil && !s.full
}

// Stats reads the spool's state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	st := Stats{Records: s.records, Bytes: s.bytes, MaxBytes: s.opt.MaxBytes}
	s.mu.Unlock()
	s.db.View(func(tx *bolt.Tx) error {
		if _, v := tx.Bucket(eventsBucket).Cursor().First(); v != nil {
			st.Oldest, _ = appendedAt(v)
		}
		return nil
	})
	return st
}

// drainLoop moves records into Redis while there are any, backing off
// while Redis fails.
func (s *Spool) drainLoop(ctx context.Context) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	var since time.Time // the spool has held records since
	drained := 0
	for {
		s.mu.Lock()
		n := s.records
		s.mu.Unlock()
		if n <= 0 {
			if drained > 0 {
				s.log.Info("spool drained into Redis", zap.Int("records", drained), zap.Duration("spooling_for", time.Since(since)))
			}
			drained, since = 0, time.Time{}
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		if since.IsZero() {
			since = time.Now()
		}
		k, err := s.drainStep(ctx)
		drained += k
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if !s.down.Swap(true) {
			s.log.Warn("Redis unavailable: events are spooled on this replica's disk", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

type entry struct {
	key, val []byte
}

// drainStep enqueues the oldest records in order and deletes those whose
// tasks are now in Redis; it stops at the first Redis failure.
func (s *Spool) drainStep(ctx context.Context) (int, error) {
	var batch []entry
	size := 0
	s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(eventsBucket).Cursor()
		for k, v := c.First(); k != nil && len(batch) < batchRecords && size < batchBytes; k, v = c.Next() {
			batch = append(batch, entry{append([]byte(nil), k...), append([]byte(nil), v...)})
			size += len(v)
		}
		return nil
	})
	// Decode in order; then the oldest record alone probes Redis, and the
	// rest go drainWindow at a time: one script per record, and with AOF
	// fsync "always" Redis fsyncs once per event-loop pass, so concurrent
	// scripts share that cost.
	outcome := make([]error, len(batch)) // nil, errCorrupt, a refusal, or unavailable
	dups := make([]bool, len(batch))
	recs := make([]*record, len(batch))
	for i, e := range batch {
		if recs[i], outcome[i] = decodeRecord(e.val); outcome[i] != nil {
			s.log.Error("spool record unreadable: moved aside, not replayed", zap.Uint64("seq", binary.BigEndian.Uint64(e.key)), zap.Int("bytes", len(e.val)), zap.Error(outcome[i]))
		}
	}
	send := func(i int) {
		r := recs[i]
		rctx, cancel := context.WithTimeout(queue.WithNonce(ctx, r.nonce), s.opt.RedisTimeout)
		dups[i], outcome[i] = s.inner.Enqueue(rctx, r.ev, r.ttl, r.tasks, r.headers)
		cancel()
	}
	probed := false
	var wg sync.WaitGroup
	sem := make(chan struct{}, drainWindow)
	for i := range batch {
		if recs[i] == nil {
			continue
		}
		if !probed {
			if send(i); outcome[i] != nil && errors.Is(outcome[i], webhook.ErrQueueUnavailable) {
				break
			}
			probed = true
			if s.down.Swap(false) { // Redis answers: live events go to it again
				s.log.Info("Redis answers again: draining the spool", zap.Int("records", s.count()))
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			send(i)
		}()
	}
	wg.Wait()
	var done, corrupt, rejected []entry
	var results []string
	var stepErr error
	for i, e := range batch {
		err := outcome[i]
		switch {
		case recs[i] == nil:
			corrupt = append(corrupt, e)
		case err != nil && errors.Is(err, webhook.ErrQueueUnavailable):
			stepErr = err // stays for the next step
		case err != nil:
			s.log.Error("Redis refused a spooled event: moved aside", zap.String("event", recs[i].ev.Summary()), zap.Error(err))
			rejected = append(rejected, e)
		case !probed:
			// not sent: the probe failed
		case dups[i]:
			done = append(done, e)
			results = append(results, "duplicate")
		default:
			done = append(done, e)
			results = append(results, "accepted")
		}
	}
	if len(done)+len(corrupt)+len(rejected) == 0 {
		return 0, stepErr
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(eventsBucket)
		for _, aside := range []struct {
			bucket  []byte
			entries []entry
		}{{corruptBucket, corrupt}, {rejectedBucket, rejected}} {
			for _, e := range aside.entries {
				if err := tx.Bucket(aside.bucket).Put(e.key, e.val); err != nil {
					return err
				}
			}
		}
		for _, list := range [][]entry{done, corrupt, rejected} {
			for _, e := range list {
				if err := b.Delete(e.key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// The records stay; draining them again is resolved by their nonces.
		return 0, fmt.Errorf("spool: delete drained records: %w", err)
	}
	n, freed := 0, int64(0)
	for _, list := range [][]entry{done, corrupt, rejected} {
		for _, e := range list {
			n++
			freed += int64(len(e.val))
		}
	}
	s.mu.Lock()
	s.records -= n
	s.bytes -= freed
	s.full = false
	s.mu.Unlock()
	for _, r := range results {
		s.m.Drained(r)
	}
	for range corrupt {
		s.m.Drained("corrupt")
	}
	for range rejected {
		s.m.Drained("rejected")
	}
	return n, stepErr
}

type nopMetrics struct{}

func (nopMetrics) Spooled()       {}
func (nopMetrics) Refused()       {}
func (nopMetrics) Drained(string) {}
