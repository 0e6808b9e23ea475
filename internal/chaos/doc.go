// Package chaos holds hookq's chaos test (issue 4, "nothing acknowledged is
// ever lost"): the real ingest and worker binaries, a private redis-server
// with AOF (appendfsync always), a flaky and sometimes slow HTTP sink, steady
// signed traffic, and kill -9 of workers and of Redis while it flows. Every
// event ingest acknowledged must reach the sink at least once.
//
// The package has only tests. Short mode (the default, part of `make test`):
//
//	go test -count=1 -run '^TestChaos$' -v ./internal/chaos
//
// Long mode (`make chaos`: >= 10,000 acknowledged events, >= 2 worker kills,
// >= 1 Redis kill, under 10 minutes):
//
//	HOOKQ_CHAOS=long go test -count=1 -timeout 15m -run '^TestChaos$' -v ./internal/chaos
//
// (or pass -chaos.long when testing this package alone).
package chaos
