package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Ready reports whether Redis accepts writes now: a PING is not enough, an
// out-of-memory noeviction Redis or a read-only replica answers PING.
func Ready(ctx context.Context, rdb redis.UniversalClient) error {
	return rdb.Set(ctx, "hookq:readyz", "1", 0).Err()
}

// DurabilityWarnings lists the ways the Redis behind rdb could lose events
// hookq already acknowledged: no AOF, an eviction policy (which orphans
// Asynq tasks), a version older than 6.2 (Asynq's archive needs it).
func DurabilityWarnings(ctx context.Context, rdb redis.UniversalClient) ([]string, error) {
	var out []string
	info, err := rdb.Info(ctx, "server", "persistence", "memory").Result()
	if err != nil {
		return nil, err
	}
	field := func(name string) string {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
				return v
			}
		}
		return ""
	}
	if v := field("redis_version"); v != "" {
		parts := strings.SplitN(v, ".", 3)
		major, _ := strconv.Atoi(parts[0])
		minor := 0
		if len(parts) > 1 {
			minor, _ = strconv.Atoi(parts[1])
		}
		if major < 6 || (major == 6 && minor < 2) {
			out = append(out, fmt.Sprintf("redis %s is older than 6.2: Asynq's dead-letter queue needs 6.2+", v))
		}
	}
	if field("aof_enabled") != "1" {
		out = append(out, "appendonly is off: a Redis restart loses every acknowledged event not yet processed (set appendonly yes)")
	}
	if p := field("maxmemory_policy"); p != "" && p != "noeviction" {
		out = append(out, fmt.Sprintf("maxmemory-policy is %s: eviction silently deletes queued tasks (set noeviction)", p))
	}
	if cfg, err := rdb.ConfigGet(ctx, "appendfsync").Result(); err == nil && cfg["appendfsync"] == "no" {
		out = append(out, "appendfsync is no: the OS decides when acknowledged events reach disk (use everysec or always)")
	}
	return out, nil
}
