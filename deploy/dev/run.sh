#!/usr/bin/env bash
# Brings the whole hookq stack up in the foreground: Redis (reused when
# REDIS_URL answers, otherwise a local redis-server with AOF under .data/),
# ingest with the dashboard, one worker and a sink for the forward route.
# Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
DATA=${HOOKQ_DATA:-.data}
CONFIG=${HOOKQ_CONFIG:-deploy/hookq.example.yaml}
mkdir -p "$DATA"

# Demo secrets, kept in .data so make demo signs with the same ones.
if [ ! -f "$DATA/env" ]; then
  rand() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }
  cat > "$DATA/env" <<ENV
SEED_WEBHOOK_SECRET=seed-demo-$(rand)
STRIPE_WEBHOOK_SECRET=whsec_demo$(rand)
GITHUB_WEBHOOK_SECRET=github-demo-$(rand)
HOOKQ_DASHBOARD_PASSWORD=$(rand)
ENV
fi
# Added after the first release of this file: keep older .data/env files working.
grep -q '^STANDARD_WEBHOOK_SECRET=' "$DATA/env" || \
  echo "STANDARD_WEBHOOK_SECRET=whsec_$(head -c 24 /dev/urandom | base64)" >> "$DATA/env"
set -a; . "$DATA/env"; set +a

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "hookq: stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "hookq: stopped"
}
trap cleanup INT TERM EXIT

ping_url() { "$BIN/hookqctl" ping -url "$1" >/dev/null 2>&1; }

if [ -n "${REDIS_URL:-}" ] && ping_url "$REDIS_URL"; then
  echo "hookq: using the Redis at $(printf '%s' "$REDIS_URL" | sed -E 's#//[^@/]*@#//***@#')"
else
  [ -n "${REDIS_URL:-}" ] && echo "hookq: the Redis at REDIS_URL does not answer; starting a local redis-server"
  bash deploy/dev/ensure-redis.sh
  port=${HOOKQ_REDIS_PORT:-6390}
  mkdir -p "$DATA/redis"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/$DATA/redis" --appendonly yes --appendfsync everysec \
    --maxmemory-policy noeviction --save "" --logfile "$PWD/$DATA/redis/redis.log" &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:$port/0"
  for _ in $(seq 50); do ping_url "$REDIS_URL" && break; sleep 0.1; done
  echo "hookq: local redis-server with AOF at $REDIS_URL (data in $DATA/redis)"
fi

"$BIN/hookqctl" sink -listen 127.0.0.1:9000 & pids+=($!)
"$BIN/ingest" -config "$CONFIG" & pids+=($!)
"$BIN/worker" -config "$CONFIG" & pids+=($!)

# Wait for the ingest admin port (bash's /dev/tcp: no curl needed).
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/9090) 2>/dev/null && break; sleep 0.1; done
cat <<MSG

hookq is up.
  webhooks   POST http://127.0.0.1:8080/webhooks/{seed,stripe,github,standardwebhooks}
  dashboard  http://127.0.0.1:9090/monitoring/   user: ops   password: $HOOKQ_DASHBOARD_PASSWORD
  metrics    http://127.0.0.1:9090/metrics  http://127.0.0.1:9091/metrics
  try it     make demo   (in another terminal)
Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" || true
