#!/usr/bin/env bash
# Brings the whole hookq stack up in the foreground: Redis (reused when
# REDIS_URL answers, otherwise a local redis-server with AOF under the data
# folder), ingest with the dashboard, one worker and a sink for forward routes
# on loopback. It announces the stack only once ingest and worker answer
# /readyz; when a process fails it names it, shows its last log lines and
# exits non-zero. Ctrl-C stops ingest, then the worker (in-flight handlers
# finish), then the sink and Redis.
#
# Environment: HOOKQ_CONFIG (default deploy/hookq.example.yaml), HOOKQ_DATA
# (default .data), REDIS_URL, HOOKQ_REDIS_PORT (default 6390),
# HOOKQ_READY_TIMEOUT (seconds, default 30), BIN (default bin).
set -euo pipefail
orig=$PWD
cd "$(dirname "$0")/../.."
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$orig" "$1" ;; esac; }
BIN=$(abs "${BIN:-$PWD/bin}")
DATA=$(abs "${HOOKQ_DATA:-$PWD/.data}")
CONFIG=$(abs "${HOOKQ_CONFIG:-$PWD/deploy/hookq.example.yaml}")
READY_TIMEOUT=${HOOKQ_READY_TIMEOUT:-30}
LOGS=$DATA/logs
[ -f "$CONFIG" ] || { echo "hookq: config $CONFIG not found" >&2; exit 1; }

# The data folder holds secrets and the dashboard password: owner only.
umask 077
mkdir -p "$DATA" "$LOGS"
chmod 700 "$DATA"
[ ! -f "$DATA/env" ] || chmod 600 "$DATA/env"

# Demo secrets, kept so `make demo` and hookqctl sign with the same ones.
if [ ! -f "$DATA/env" ]; then
  rand() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }
  cat > "$DATA/env" <<ENV
SEED_WEBHOOK_SECRET=seed-demo-$(rand)
STRIPE_WEBHOOK_SECRET=whsec_demo$(rand)
GITHUB_WEBHOOK_SECRET=github-demo-$(rand)
HOOKQ_DASHBOARD_PASSWORD=$(rand)
ENV
fi
# Added after the first release of this file: keep older env files working.
grep -q '^STANDARD_WEBHOOK_SECRET=' "$DATA/env" || \
  echo "STANDARD_WEBHOOK_SECRET=whsec_$(head -c 24 /dev/urandom | base64)" >> "$DATA/env"
# A variable already set in the environment (your own secret) wins.
while IFS='=' read -r k v; do
  [[ $k =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && [ -z "${!k:-}" ] && export "$k=$v"
done < "$DATA/env"

# Every child runs in its own session (setsid), so the terminal's Ctrl-C
# reaches only this script, which then stops them in order.
declare -A pid=()
order=(ingest worker sink redis)
stopping=

# stop NAME SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
stop() {
  local p=${pid[$1]:-} rc=0 i
  [ -n "$p" ] || return 0
  unset "pid[$1]"
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "hookq: $1 did not stop within $2s; killing it" >&2
      kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  wait "$p" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || { echo "hookq: $1 stopped with status $rc" >&2; return 1; }
}

# cleanup stops what runs, in the order that keeps data: no new webhooks,
# then in-flight handlers finish, then Redis. Its status is the script's.
cleanup() {
  local status=${1:-0}
  trap - INT TERM EXIT
  [ -z "$stopping" ] || return 0
  stopping=1
  [ ${#pid[@]} = 0 ] || echo "hookq: stopping ingest, then the worker, then Redis..."
  stop ingest 15 || status=1
  stop worker "${WORKER_STOP:-35}" || status=1
  stop sink 5 || true
  stop redis 15 || status=1
  [ "$status" != 0 ] || echo "hookq: stopped"
  exit "$status"
}
trap 'cleanup 0' INT TERM
trap 'cleanup $?' EXIT

# report NAME WHAT: a process's failure with its last log lines.
report() {
  echo "hookq: $1 $2. Last lines of $LOGS/$1.log:" >&2
  tail -n 15 "$LOGS/$1.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
}

# start NAME CMD...: runs CMD in the background, its output on the terminal
# and in $LOGS/NAME.log (tee -i: Ctrl-C must not cut a child's output).
start() {
  local name=$1; shift
  : > "$LOGS/$name.log"
  setsid "$@" > >(exec tee -i -a "$LOGS/$name.log") 2>&1 &
  pid[$name]=$!
}

ping_url() { "$BIN/hookqctl" ping -redis "$1" >/dev/null 2>&1; }
redacted() { printf '%s' "$1" | sed -E 's#//[^@/]*@#//***@#'; }

if [ -n "${REDIS_URL:-}" ] && ping_url "$REDIS_URL"; then
  echo "hookq: using the Redis at $(redacted "$REDIS_URL")"
else
  [ -z "${REDIS_URL:-}" ] || echo "hookq: the Redis at REDIS_URL does not answer; starting a local redis-server"
  bash deploy/dev/ensure-redis.sh
  port=${HOOKQ_REDIS_PORT:-6390}
  REDIS_URL="redis://127.0.0.1:$port/0"
  if ping_url "$REDIS_URL"; then
    echo "hookq: something already answers on 127.0.0.1:$port (another make run?): set HOOKQ_REDIS_PORT or REDIS_URL" >&2
    exit 1
  fi
  mkdir -p "$DATA/redis"
  : > "$LOGS/redis.log"
  setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$DATA/redis" --appendonly yes --appendfsync everysec \
    --maxmemory-policy noeviction --save "" --logfile "$LOGS/redis.log" &
  pid[redis]=$!
  for _ in $(seq 100); do ping_url "$REDIS_URL" && break; kill -0 "${pid[redis]}" 2>/dev/null || break; sleep 0.1; done
  if ! ping_url "$REDIS_URL"; then report redis "did not start on 127.0.0.1:$port"; exit 1; fi
  echo "hookq: local redis-server with AOF at $REDIS_URL (data in $DATA/redis)"
fi
export REDIS_URL

# hookqctl in another terminal of this checkout reads these: same Redis,
# same config, nothing to export.
printf 'REDIS_URL=%s\nHOOKQ_CONFIG=%s\n' "$REDIS_URL" "$CONFIG" > "$DATA/stack.env"

# Readable logs on a terminal (the children write to a pipe, so they cannot tell).
if [ -t 1 ] && [ -z "${HOOKQ_LOG_FORMAT:-}" ]; then export HOOKQ_LOG_FORMAT=console; fi

sink=$("$BIN/hookqctl" endpoints -config "$CONFIG" -sink 2>/dev/null) || sink=
[ -z "$sink" ] || start sink "$BIN/hookqctl" sink -listen "$sink"
start ingest "$BIN/ingest" -config "$CONFIG"
start worker "$BIN/worker" -config "$CONFIG"

# Wait until ingest and worker are ready, or exited, or out of time.
declare -A state=()
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
  waiting=0
  for n in ingest worker; do
    [ -z "${state[$n]:-}" ] || continue
    if ! kill -0 "${pid[$n]}" 2>/dev/null; then
      rc=0; wait "${pid[$n]}" 2>/dev/null || rc=$?
      unset "pid[$n]"
      state[$n]="exited with status $rc before it was ready"
    elif "$BIN/hookqctl" ready -config "$CONFIG" -process "$n" -q >/dev/null 2>&1; then
      state[$n]=ready
    else
      waiting=1
    fi
  done
  [ "$waiting" = 1 ] || break
  if [ "$SECONDS" -ge "$deadline" ]; then
    for n in ingest worker; do [ -n "${state[$n]:-}" ] || state[$n]="was not ready within ${READY_TIMEOUT}s"; done
    break
  fi
  sleep 0.2
done
failed=0
for n in ingest worker; do
  [ "${state[$n]}" = ready ] || { report "$n" "${state[$n]}"; failed=1; }
done
if [ "$failed" = 1 ]; then
  echo "hookq: NOT started (see above)." >&2
  exit 1
fi

echo
echo "hookq is up (config $CONFIG, Redis $(redacted "$REDIS_URL"))."
"$BIN/hookqctl" endpoints -config "$CONFIG" -show-password
echo "  try it     make demo; ./bin/hookqctl stats (in another terminal)"
echo "  logs       $LOGS"
echo "Ctrl-C stops everything."
echo

# Run until Ctrl-C (the trap stops everything) or until a child exits.
set +e
wait -n -p exited "${pid[@]}"
rc=$?
set -e
for n in "${order[@]}"; do
  if [ "${pid[$n]:-}" = "${exited:-}" ]; then
    unset "pid[$n]"
    report "$n" "exited with status $rc while the stack was running"
    echo "hookq: stopping the rest because $n exited." >&2
    exit 1
  fi
done
