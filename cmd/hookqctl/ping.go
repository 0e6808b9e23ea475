package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/hookq/hookq/internal/redisconn"
)

// pingCmd checks that a Redis answers, within two seconds and without
// retrying: `make run` asks it whether a REDIS_URL is up.
func pingCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	deprecatedURL(fs, e, "redis", &conn.redis)
	return func(ctx context.Context, _ []string) error {
		u, _, err := conn.redisURL(e, func() (string, error) {
			cfg, err := loadConfig(conn.config, e)
			if err != nil {
				return "", err
			}
			return cfg.Redis.URL, nil
		})
		if err != nil {
			return err
		}
		spec, err := redisconn.Parse(u)
		if err != nil {
			return fmt.Errorf("redis url: %w", err)
		}
		c, err := spec.Client(redisconn.Tuning{DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
			PoolTimeout: time.Second, PoolSize: 1, MaxRetries: -1})
		if err != nil {
			return fmt.Errorf("redis %s: %w", spec, err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis %s: %w", spec, err)
		}
		fmt.Fprintln(e.stdout, "PONG")
		return nil
	}
}
