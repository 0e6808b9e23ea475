#!/usr/bin/env bash
# Static checks of hookq's deployment files (no Docker engine needed):
#   docker-compose.yml, deploy/Dockerfile, deploy/redis.conf,
#   deploy/hookq.compose.yaml, deploy/prometheus/, deploy/grafana/, deploy/k8s/.
#
#   bash deploy/check.sh
#
# Each check prints "ok", "FAIL" or "SKIP (why)"; the script exits non-zero if
# any check failed. Optional tools are used when present: promtool (Debian
# package `prometheus`, installed here when missing, running as root, and
# CHECK_NO_INSTALL is unset), docker compose / docker-compose, redis-server,
# hadolint.
set -uo pipefail

cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
REDIS_PID=
cleanup() {
	if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

FAILED=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILED=$((FAILED + 1)); }
skip() { echo "  SKIP $*"; }
# run DESCRIPTION CMD...: ok if CMD succeeds, else FAIL with its output.
run() {
	local what=$1; shift
	if "$@" >"$TMP/out" 2>&1; then ok "$what"; else fail "$what"; sed 's/^/       /' "$TMP/out"; fi
}

# Placeholder values for the variables docker-compose.yml requires.
export STRIPE_WEBHOOK_SECRET=whsec_check GITHUB_WEBHOOK_SECRET=check \
	SEED_WEBHOOK_SECRET=check HOOKQ_DASHBOARD_PASSWORD=check

YAML_FILES=(docker-compose.yml deploy/hookq.compose.yaml deploy/prometheus/prometheus.yml
	deploy/prometheus/alerts.yml deploy/prometheus/alerts_test.yml)
while IFS= read -r f; do YAML_FILES+=("$f"); done < <(find deploy/grafana deploy/k8s -name '*.y*ml' 2>/dev/null | sort)
JSON_FILES=(deploy/grafana/hookq-dashboard.json)

join() { local IFS=,; echo "$*"; }

echo "== YAML, JSON, hookq config, compose layout, metric names (go run ./deploy/checkyaml)"
if ! go run ./deploy/checkyaml \
	-yaml "$(join "${YAML_FILES[@]}")" \
	-json "$(join "${JSON_FILES[@]}")" \
	-hookq deploy/hookq.compose.yaml \
	-compose docker-compose.yml \
	-promql deploy/prometheus/alerts.yml,deploy/grafana/hookq-dashboard.json; then
	FAILED=$((FAILED + 1))
fi

echo "== Kubernetes manifests (deploy/k8s/validate: official API types, KEDA's CRD schemas, hookq's config loader)"
run "every object in deploy/k8s decodes strictly and its references hold" \
	bash -c 'cd deploy/k8s/validate && go test -count=1 ./...'

echo "== Grafana dashboard"
if command -v python3 >/dev/null; then
	run "python3 -m json.tool deploy/grafana/hookq-dashboard.json" python3 -m json.tool deploy/grafana/hookq-dashboard.json
	run "every panel and variable uses the \${datasource} variable" python3 - <<'PY'
import json, sys
d = json.load(open("deploy/grafana/hookq-dashboard.json"))
assert any(v["name"] == "datasource" and v["type"] == "datasource" for v in d["templating"]["list"]), "no datasource variable"
bad = []
for p in d["panels"]:
    if p["type"] == "row":
        continue
    for t in [p] + p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}":
            bad.append(p["title"])
    if not p.get("targets"):
        bad.append(p["title"] + " (no query)")
for v in d["templating"]["list"]:
    if v["type"] == "query" and v["datasource"]["uid"] != "${datasource}":
        bad.append("variable " + v["name"])
ids = [p["id"] for p in d["panels"]]
if len(ids) != len(set(ids)):
    bad.append("duplicate panel ids")
if bad:
    sys.exit("wrong datasource: " + ", ".join(sorted(set(bad))))
PY
else
	skip "python3 not found (the JSON was still parsed by checkyaml)"
fi

echo "== Prometheus config and rules (promtool)"
if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ] && [ -z "${CHECK_NO_INSTALL:-}" ] && command -v apt-get >/dev/null; then
	if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		apt-get update -qq >/dev/null 2>&1
	fi
	if apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		echo "  (installing Debian package prometheus for promtool)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >"$TMP/apt" 2>&1 \
			|| { echo "  apt-get install prometheus failed:"; tail -5 "$TMP/apt"; }
	fi
fi
if command -v promtool >/dev/null; then
	run "promtool check config deploy/prometheus/prometheus.yml (and its rule files)" promtool check config deploy/prometheus/prometheus.yml
	run "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
	run "promtool test rules deploy/prometheus/alerts_test.yml" promtool test rules deploy/prometheus/alerts_test.yml
else
	skip "promtool not found (Debian package prometheus)"
fi

echo "== docker-compose.yml (compose's own parser)"
COMPOSE=()
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null; then COMPOSE=(docker-compose)
fi
if [ ${#COMPOSE[@]} -gt 0 ]; then
	run "${COMPOSE[*]} config (default services)" "${COMPOSE[@]}" -f docker-compose.yml config -q
	run "${COMPOSE[*]} --profile observability config" "${COMPOSE[@]}" -f docker-compose.yml --profile observability config -q
	run "${COMPOSE[*]} refuses to start without the secrets" bash -c \
		'! env -u STRIPE_WEBHOOK_SECRET "$@" -f docker-compose.yml config -q 2>/dev/null' _ "${COMPOSE[@]}"
	run "worker has no fixed name or host port (scalable)" bash -c \
		'"$@" -f docker-compose.yml config | awk "/^  worker:/{w=1;next} /^  [a-z]/{w=0} w" | grep -Eq "^    (container_name|ports):" && exit 1 || exit 0' _ "${COMPOSE[@]}"
else
	skip "neither 'docker compose' nor docker-compose found (layout still checked by checkyaml)"
fi

echo "== deploy/redis.conf"
conf_has() { grep -Eq "^[[:space:]]*$1([[:space:]]|$)" deploy/redis.conf; }
for want in 'appendonly yes' 'appendfsync everysec' 'maxmemory-policy noeviction' 'protected-mode no' 'dir /data'; do
	if conf_has "$want"; then ok "redis.conf sets '$want'"; else fail "redis.conf does not set '$want'"; fi
done
if grep -q '6\.2' deploy/redis.conf; then ok "redis.conf notes Redis >= 6.2"; else fail "redis.conf lacks the Redis >= 6.2 note"; fi
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	# Start it for real on a private Unix socket (no TCP port) in a temp dir.
	# Redis applies `dir` while reading the file, so /data (the container's
	# volume) is swapped for the temp dir in a copy.
	sed "s|^dir /data\$|dir $TMP|" deploy/redis.conf >"$TMP/redis.conf"
	redis-server "$TMP/redis.conf" --port 0 --unixsocket "$TMP/redis.sock" \
		--daemonize no --logfile "$TMP/redis.log" &
	REDIS_PID=$!
	for _ in $(seq 50); do [ -S "$TMP/redis.sock" ] && break; sleep 0.1; done
	if [ -S "$TMP/redis.sock" ]; then
		got=$(for k in appendonly appendfsync maxmemory-policy maxmemory; do
			redis-cli -s "$TMP/redis.sock" --raw config get "$k" | tail -1; done | tr '\n' ' ')
		if [ "$got" = "yes everysec noeviction 1073741824 " ]; then
			ok "$(redis-server --version | awk '{print $1, $2, $3}') starts with redis.conf: appendonly/appendfsync/maxmemory-policy/maxmemory = $got"
		else
			fail "redis-server with redis.conf reports: $got"
		fi
		redis-cli -s "$TMP/redis.sock" shutdown nosave >/dev/null 2>&1
	else
		fail "redis-server does not start with deploy/redis.conf:"; tail -5 "$TMP/redis.log" 2>&1 | sed 's/^/       /'
	fi
	wait "$REDIS_PID" 2>/dev/null; REDIS_PID=
else
	skip "redis-server not found (settings checked by grep only)"
fi

echo "== deploy/Dockerfile"
df=deploy/Dockerfile
gomod=$(awk '$1=="go"{split($2,v,"."); print v[1]"."v[2]}' go.mod)
if grep -Eq "^ARG GO_VERSION=$gomod\$" $df; then ok "builder Go $gomod matches go.mod"; else fail "builder Go version (ARG GO_VERSION) differs from go.mod's $gomod"; fi
if grep -Eq '^FROM golang:\$\{GO_VERSION\}' $df; then ok "builder is golang:\${GO_VERSION}"; else fail "builder is not golang:\${GO_VERSION}"; fi
user=$(awk '$1=="USER"{u=$2} END{print u}' $df)
case "$user" in
	""|root|0|0:*|root:*) fail "final USER is '${user:-unset}' (must be non-root)";;
	*) ok "runs as non-root USER $user";;
esac
if grep -Eiq '^(ENV|ARG)[[:space:]].*(SECRET|PASSWORD|TOKEN)' $df; then fail "Dockerfile sets a secret-looking ENV/ARG"; else ok "no secret in ENV/ARG"; fi
if grep -Eq '^COPY[[:space:]]+(\.|\./)[[:space:]]' $df; then fail "Dockerfile copies the whole context (could include .env)"; else ok "copies only go.mod, go.sum, cmd/, internal/"; fi
for p in go.mod go.sum cmd internal; do [ -e "$p" ] || fail "COPY source $p does not exist"; done
if grep -q 'CGO_ENABLED=0' $df; then ok "static build (CGO_ENABLED=0)"; else fail "CGO_ENABLED=0 missing"; fi
if command -v hadolint >/dev/null; then run "hadolint deploy/Dockerfile" hadolint $df; else skip "hadolint not found"; fi
# The image's build step, run here without Docker.
if ls cmd/ingest/*.go cmd/worker/*.go cmd/hookqctl/*.go >/dev/null 2>&1; then
	run "the Dockerfile's go build (CGO_ENABLED=0 -trimpath) of ingest, worker, hookqctl" \
		env CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$TMP/bin/" ./cmd/ingest ./cmd/worker ./cmd/hookqctl
else
	skip "cmd/ingest, cmd/worker or cmd/hookqctl has no Go files yet: the image's go build was not tried"
fi
echo "  (no Docker engine: the image itself is not built here)"

echo
if [ "$FAILED" -gt 0 ]; then
	echo "deploy/check.sh: $FAILED check(s) FAILED"
	exit 1
fi
echo "deploy/check.sh: all checks passed"
