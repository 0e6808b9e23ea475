// Package store keeps business handlers' records in Redis.
package store

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Prefix starts every key the store writes.
const Prefix = "hookq:data:"

// Redis records facts in one hash per collection.
type Redis struct{ rdb redis.UniversalClient }

// New returns a store on rdb; the caller owns rdb.
func New(rdb redis.UniversalClient) *Redis { return &Redis{rdb: rdb} }

// Record is HSETNX: atomic, so two concurrent runs of one task store once.
func (s *Redis) Record(ctx context.Context, collection, key, value string) (bool, error) {
	return s.rdb.HSetNX(ctx, Prefix+collection, key, value).Result()
}
