# hookq: `make run` brings the stack up, `make test` runs every check CI runs.
SHELL := /bin/bash
GO ?= go
BIN := bin
export GOFLAGS ?= -buildvcs=false

.PHONY: all build run demo test browser fuzz fuzz-long bench bench-scale load chaos failover partition horizontal vet deploy-check clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/ingest ./cmd/worker ./cmd/hookqctl

# CONFIG: your own config for run, demo and load (default: deploy/hookq.example.yaml for
# `make run`; demo and load then use the config the running `make run` uses).
CONFIG ?=
CONFIG_FLAG = $(if $(CONFIG),-config $(CONFIG))

## run: Redis (reused if REDIS_URL answers, else local with AOF), ingest + dashboard, one worker, a sink.
## Announces the stack once ingest and worker are ready; exits non-zero naming a process that fails.
## Ctrl-C stops ingest, then the worker, then Redis.
run: build
	@$(if $(CONFIG),HOOKQ_CONFIG=$(CONFIG)) bash deploy/dev/run.sh

## demo: send the seed's events (and a duplicate and a forgery) to a running `make run`.
demo: build
	@$(BIN)/hookqctl demo $(CONFIG_FLAG)

## test: vet, unit + integration + end-to-end tests against private redis-servers,
## a short fuzz run of every header parser, and the static deploy checks.
test: vet
	@mkdir -p $(BIN)
	@bash deploy/dev/ensure-redis.sh
	@set -o pipefail; $(GO) test -p 1 -count=1 -timeout 20m -v ./... 2>&1 | tee $(BIN)/test.log | grep -E '^(ok|FAIL|--- FAIL|panic:|\?)' ; \
	  status=$$?; \
	  echo "tests: $$(grep -c '^--- PASS' $(BIN)/test.log) passed, $$(grep -c '^--- FAIL' $(BIN)/test.log) failed, $$(grep -c '^--- SKIP' $(BIN)/test.log) skipped"; \
	  [ $$status -eq 0 ] || { grep -B2 -A40 -- '--- FAIL' $(BIN)/test.log | head -200; exit 1; }
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10000x
	bash deploy/check.sh
	@$(MAKE) --no-print-directory browser

## browser: the Asynqmon dashboard in headless Chromium (installs Debian's chromium when missing);
## screenshots in bin/artifacts.
browser:
	@mkdir -p $(BIN)/artifacts
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@bash deploy/dev/ensure-redis.sh
	@set -o pipefail; HOOKQ_BROWSER=1 HOOKQ_ARTIFACTS=$(BIN)/artifacts \
	  $(GO) test -count=1 -timeout 3m -run '^TestDashboardBrowser$$' -v ./internal/e2e 2>&1 | tee $(BIN)/browser.log | grep -E '^(---|ok|FAIL|\s+browser_test.go:.*saved)'

## vet: gofmt, goimports (import groups: std / third-party / hookq), go vet and staticcheck.
## The linters are installed at pinned versions into bin/tools on first use; a version bump reinstalls.
TOOLS := $(BIN)/tools
STATICCHECK_VERSION := v0.8.2
GOIMPORTS_VERSION := v0.52.0
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)
GOIMPORTS := $(TOOLS)/goimports-$(GOIMPORTS_VERSION)
LINTDIRS := cmd internal deploy

vet: $(STATICCHECK) $(GOIMPORTS)
	@test -z "$$(gofmt -l $(LINTDIRS))" || { echo "gofmt needed:"; gofmt -l $(LINTDIRS); exit 1; }
	@test -z "$$($(GOIMPORTS) -local github.com/hookq/hookq -l $(LINTDIRS))" || { \
	  echo "goimports -local github.com/hookq/hookq needed:"; $(GOIMPORTS) -local github.com/hookq/hookq -l $(LINTDIRS); exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

$(STATICCHECK):
	@mkdir -p $(TOOLS)
	GOBIN=$(abspath $(TOOLS)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@mv $(TOOLS)/staticcheck $@

$(GOIMPORTS):
	@mkdir -p $(TOOLS)
	GOBIN=$(abspath $(TOOLS)) $(GO) install golang.org/x/tools/cmd/goimports@$(GOIMPORTS_VERSION)
	@mv $(TOOLS)/goimports $@

FUZZTIME ?= 30s
## fuzz: every header-parser fuzz target, and the task envelope's round trip, for FUZZTIME each (make fuzz-long: 5m each).
## make test uses a count (10000x), which has no wall-clock deadline to race.
FUZZPKGS := ./internal/verify ./internal/trace ./internal/webhook ./internal/jsonpath
fuzz:
	@mkdir -p $(BIN)
	@for p in $(FUZZPKGS); do \
	  for t in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    echo "fuzz $$p $$t ($(FUZZTIME))"; \
	    if ! $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p > $(BIN)/fuzz.log 2>&1; then \
	      if grep -q 'context deadline exceeded' $(BIN)/fuzz.log && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' $(BIN)/fuzz.log; then \
	        echo "  (Go's fuzz engine stopped at the -fuzztime deadline, go.dev/issue/75804, fixed in Go 1.27: no failing input, not a finding)"; \
	      else cat $(BIN)/fuzz.log; exit 1; fi; \
	    fi; \
	    grep -h 'elapsed' $(BIN)/fuzz.log | tail -1; \
	  done; \
	done

fuzz-long:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5m

## bench: ONE table from one run (about 2-3 minutes): bare Gin, hookq ingest, raw Asynq enqueue,
## hookq worker drain, bare Asynq drain, end-to-end p50/p99 at 50 ev/s, Redis bytes per pending event
## and per dedupe mark, overload at 2x the ingest rate, each with its ratio and target (bin/bench-table.md); then the hot-path Go
## benchmarks (benchstat-comparable, bin/bench-go.txt). BENCH_SECONDS sets each throughput run.
BENCH_SECONDS ?= 5
bench:
	@mkdir -p $(BIN)
	@bash deploy/dev/ensure-redis.sh
	@HOOKQ_BENCH=1 HOOKQ_BENCH_SECONDS=$(BENCH_SECONDS) HOOKQ_BENCH_OUT=$(abspath $(BIN)) \
	  $(GO) test -count=1 -timeout 15m -run '^TestBenchTable$$' ./internal/bench > $(BIN)/bench.log 2>&1 || { cat $(BIN)/bench.log; exit 1; }
	@cat $(BIN)/bench-table.md
	@$(GO) test -run '^$$' -bench 'BenchmarkEnvelope$$|BenchmarkVerify|BenchmarkIngestRequest' -benchtime 300ms -benchmem ./internal/webhook ./internal/obs ./internal/verify | tee $(BIN)/bench-go.txt | grep -E '^(Benchmark|ok)'

## bench-scale: aggregate drain with 1, 2 and 4 worker processes and ingest with 1 and 2 (a few minutes).
bench-scale:
	@mkdir -p $(BIN)
	@bash deploy/dev/ensure-redis.sh
	@HOOKQ_BENCH=1 HOOKQ_BENCH_SCALE=1 HOOKQ_BENCH_SECONDS=$(BENCH_SECONDS) HOOKQ_BENCH_OUT=$(abspath $(BIN)) \
	  $(GO) test -count=1 -timeout 20m -run '^TestBenchScale$$' ./internal/bench > $(BIN)/bench-scale.log 2>&1 || { cat $(BIN)/bench-scale.log; exit 1; }
	@cat $(BIN)/bench-scale.md

## load: 10 s of signed events against a running `make run` (LOAD_ARGS to change rate, duration…).
LOAD_ARGS ?= -duration 10s -concurrency 32
load: build
	@$(BIN)/hookqctl load $(CONFIG_FLAG) $(LOAD_ARGS)

## chaos: kill -9 workers and Redis under load; >= 10,000 acknowledged events, lost must be 0 (< 10 min);
## then Redis frozen 60 s and killed 60 s with ingest's spool on, ingest kill -9 in between (< 8 min).
## `make test` runs the short versions (about 20 s of traffic, one kill of each; 25 s with 10 s + 8 s outages).
chaos:
	@bash deploy/dev/ensure-redis.sh
	HOOKQ_CHAOS=long $(GO) test -count=1 -timeout 25m -run '^TestChaos(Spool)?$$' -v ./internal/chaos

.PHONY: failover-cluster
## failover-cluster: ingest + worker on redis-cluster:// (3 masters, 3 replicas and a spare, node timeout 5 s,
## queue.shards 3, ack_replicas 1), kill -9 the master of one shard under load; a minute of traffic after
## the failover and every acknowledged event waited for (about 2-5 min). `make test` runs the short version (about 30 s).
failover-cluster:
	@bash deploy/dev/ensure-redis.sh
	HOOKQ_FAILOVER=long $(GO) test -count=1 -timeout 10m -run '^TestClusterFailover$$' -v ./internal/e2e

## failover: ingest + worker on redis-sentinel://, kill -9 the master under load (Sentinel down-after 5 s);
## once with ack_replicas 0, once with 1 on two replicas; a minute of traffic after each failover and
## every acknowledged event waited for (about 4 min). `make test` runs the short version (about 45 s).
failover:
	@bash deploy/dev/ensure-redis.sh
	HOOKQ_FAILOVER=long $(GO) test -count=1 -timeout 10m -run '^TestSentinelFailover$$' -v ./internal/e2e

## partition: the Sentinel master in a network namespace of its own, cut off from its replicas, the
## Sentinels, one ingest and the worker under load while a second ingest stays on its side; 20 s of
## partition, then healed. Four cases: ack_replicas 0 and 1, each with and without
## min-replicas-to-write 1 (about 5 min). Needs root (ip netns, veth, bridge); skips otherwise.
## `make test` runs the ack_replicas 1 case in short (about 35 s).
partition:
	@bash deploy/dev/ensure-redis.sh
	HOOKQ_PARTITION=long $(GO) test -count=1 -timeout 15m -run '^TestPartition$$' -v ./internal/e2e

## horizontal: 2 ingest and 3 worker processes on one Redis, signed load on both ingests, kill -9 of a
## worker under load (60 s of traffic); every acknowledged event must be delivered, including the killed
## worker's in-flight tasks once Asynq recovers them (about 2-3 min). `make test` runs the short version
## (20 s of traffic; the killed worker's tasks must still be held in Redis).
horizontal:
	@bash deploy/dev/ensure-redis.sh
	HOOKQ_HORIZONTAL=long $(GO) test -count=1 -timeout 10m -run '^TestHorizontal$$' -v ./internal/chaos

deploy-check:
	bash deploy/check.sh

clean:
	rm -rf $(BIN)
