package queue_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// A token binds to the first body it comes with: the same body again is a
// retry, any other body is a replay. Two Tokens on one Redis (two ingest
// replicas) share the memory, which lasts the TTL.
func TestTokensBind(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	a, b := queue.NewTokens(rdb), queue.NewTokens(rdb)
	body1, body2 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two"))
	if err := a.Bind(ctx, "mg", "tok", body1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := b.Bind(ctx, "mg", "tok", body1, time.Minute); err != nil {
		t.Fatalf("retry with the same body: %v", err)
	}
	if err := b.Bind(ctx, "mg", "tok", body2, time.Minute); !errors.Is(err, webhook.ErrInvalidSignature) {
		t.Fatalf("other body: %v, want invalid signature", err)
	}
	if err := a.Bind(ctx, "other-source", "tok", body2, time.Minute); err != nil {
		t.Fatalf("tokens are per source: %v", err)
	}
	if ttl := rdb.PTTL(ctx, queue.TokenKey("mg", "tok")).Val(); ttl <= 50*time.Second || ttl > time.Minute {
		t.Fatalf("ttl = %v", ttl)
	}
}

func TestTokensUnavailable(t *testing.T) {
	rdb := redistest.Client(t)
	rdb.Close()
	err := queue.NewTokens(rdb).Bind(context.Background(), "mg", "tok", sha256.Sum256(nil), time.Minute)
	if !errors.Is(err, webhook.ErrQueueUnavailable) {
		t.Fatalf("err = %v, want queue unavailable", err)
	}
}
