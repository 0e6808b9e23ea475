package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/store"
)

func TestOnce(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()

	t.Run("ConcurrentRunsOneEffect", func(t *testing.T) {
		o := store.NewOnce(rdb, time.Minute, time.Hour)
		var effects atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.Do(ctx, "k1", func(context.Context) error {
					time.Sleep(50 * time.Millisecond)
					effects.Add(1)
					return nil
				})
				if err != nil && !errors.Is(err, store.ErrInProgress) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		ran, err := o.Do(ctx, "k1", func(context.Context) error { effects.Add(1); return nil })
		if ran || err != nil || effects.Load() != 1 {
			t.Fatalf("ran=%v err=%v effects=%d, want one effect", ran, err, effects.Load())
		}
	})
	t.Run("FailureReleases", func(t *testing.T) {
		o := store.NewOnce(rdb, time.Minute, time.Hour)
		boom := errors.New("boom")
		if _, err := o.Do(ctx, "k2", func(context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if ran, err := o.Do(ctx, "k2", func(context.Context) error { return nil }); !ran || err != nil {
			t.Fatalf("retry after failure: ran=%v err=%v", ran, err)
		}
	})
	t.Run("CrashedHolderLeaseExpires", func(t *testing.T) {
		o := store.NewOnce(rdb, 200*time.Millisecond, time.Hour)
		// A run that claimed the key and died (its process was killed).
		rdb.Set(ctx, store.Prefix+"once:k3", "running:dead", 200*time.Millisecond)
		if _, err := o.Do(ctx, "k3", func(context.Context) error { return nil }); !errors.Is(err, store.ErrInProgress) {
			t.Fatalf("while leased: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		if ran, err := o.Do(ctx, "k3", func(context.Context) error { return nil }); !ran || err != nil {
			t.Fatalf("after lease expiry: ran=%v err=%v", ran, err)
		}
	})
}

func TestOnceLeaseLost(t *testing.T) {
	rdb := redistest.Client(t)
	o := store.NewOnce(rdb, 100*time.Millisecond, time.Hour)
	ran, err := o.Do(context.Background(), "slow", func(context.Context) error {
		time.Sleep(250 * time.Millisecond) // outlives the lease
		return nil
	})
	if !ran || err == nil {
		t.Fatalf("ran=%v err=%v: a run that outlived its lease must say so", ran, err)
	}
}
