package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hookq/hookq/internal/redisconn"
)

// cmdPing checks that the Redis at -url answers.
func cmdPing(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ping", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", getenv("REDIS_URL"), "Redis URL (env REDIS_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec, err := redisconn.Parse(*url)
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
	fmt.Fprintln(stdout, "PONG")
	return nil
}
