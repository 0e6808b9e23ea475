package queue

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/webhook"
)

// Tokens is the replay memory for signatures that rest on a one-time token
// and do not cover the body (Mailgun). It lives in Redis so every ingest
// replica shares it.
type Tokens struct {
	rdb redis.UniversalClient
}

// NewTokens returns Tokens on rdb; the caller owns rdb.
func NewTokens(rdb redis.UniversalClient) *Tokens { return &Tokens{rdb: rdb} }

// TokenKey is where a source's token is remembered.
func TokenKey(source, token string) string {
	return "hookq:{" + Queue + "}:token:" + source + ":" + token
}

// KEYS[1] token key; ARGV[1] body hash, ARGV[2] ttl ms. Returns 1 when the
// token is now bound to this body (first use, or the same body again), 0
// when it is bound to another body. SET NX semantics with a comparison, in
// one step: a call that timed out and runs later binds the same body.
var bindScript = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if not cur then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
if cur == ARGV[1] then return 1 end
return 0
`)

// Bind implements ingest.Tokens.
func (t *Tokens) Bind(ctx context.Context, source, token string, bodyHash [32]byte, ttl time.Duration) error {
	n, err := bindScript.Run(ctx, t.rdb, []string{TokenKey(source, token)}, hex.EncodeToString(bodyHash[:]), ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("%w: bind token: %v", webhook.ErrQueueUnavailable, err)
	}
	if n != 1 {
		return fmt.Errorf("%w: token already used with another body (replay)", webhook.ErrInvalidSignature)
	}
	return nil
}
