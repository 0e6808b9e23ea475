package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
)

// cmdPing checks that the Redis at -url answers.
func cmdPing(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ping", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", getenv("REDIS_URL"), "Redis URL (env REDIS_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opt, err := redis.ParseURL(*url)
	if err != nil {
		return err
	}
	opt.DialTimeout, opt.MaxRetries = time.Second, -1
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", opt.Addr, err)
	}
	fmt.Fprintln(stdout, "PONG")
	return nil
}
