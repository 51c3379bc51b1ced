#!/usr/bin/env bash
# bench/redis.sh: what the Redis rate limiter and the Redis answer cache
# cost a request, against the same endpoint without them, in the same run.
#
#   bench/redis.sh                           # ROUNDS=3 of DURATION=10s per configuration, CONNS="1 16"
#   DURATION=5s bench/redis.sh               # a quick run
#
# Configurations, each a server of its own, all started once and loaded in
# turn, round after round (the order reversed every other round), so that
# whatever else the machine does falls on all of them alike:
#
#   verify-memory   POST /api/v1/verifications, in-process limiter (no Redis): the baseline
#   verify-redis    the same, PORTAL_REDIS_URL set: every request runs the limiter's script in Redis
#   search-none     GET /api/v1/cases?q=..., no Redis, answer cache off (every request asks the index): the baseline
#   search-limit    the same with PORTAL_REDIS_URL: the Redis limiter, answer cache still off
#   search-cache    PORTAL_REDIS_URL, the limiter and the answer cache's Redis tier, its in-process
#                   tier off, so Redis answers every repeat (one GET and a JSON decode a request)
#   search-memory   for reference: no Redis, the in-process answer cache on (the portal's default
#                   without Redis), so memory answers every repeat
#
# The verification store is N credentials from bench/gencsv imported as
# bench/verify.sh does, loaded with wrk and bench/verify.lua (PAIRS_N pairs,
# a tenth of them misses). The search store is CASES cases from
# bench/gencases, loaded with `searchbench portal` cycling through QUERIES
# queries. Answers live 30 s in Redis; so that search-cache's runs are all
# Redis hits, its keys are deleted and every query answered once (CACHE_FILL,
# computing and storing it) right before each of its runs: keep DURATION
# well under 30 s minus CACHE_FILL.
# The in-process limiter runs in every configuration without Redis: it is
# the portal's fallback and cannot be left out. Rates are 1000000/s (the
# most the configuration accepts), so nothing is refused.
#
# Pinned: every portal on core SERVER_CPU with GOMAXPROCS=1; the load
# generator (wrk, searchbench portal) AND the private redis-server on core
# LOAD_CPU. So the portal's core does the portal's share of a Redis call
# (encoding, the socket, waiting) and Redis's own work falls on the load
# generator's core, as it would on another machine; on 2 cores Redis and the
# load generator compete with each other. The redis-server is started on a
# free loopback port, without persistence, and stopped at exit with the
# portals. Only 127.0.0.1 is used.
#
# Each run prints p50 and p99 latency, requests/s, the portal's CPU per
# request (user + system, /proc/PID/stat), and the commands Redis ran per
# request (INFO stats, which counts the commands of a script too): 4 for the
# limiter (EVALSHA, and the script's TIME, GET and SET), 5 with the cache's
# GET, 0 without Redis. A lower figure means the breaker had opened and the
# in-process fallback answered; such a run is marked "!". A higher one in
# search-cache means misses (the answer computed and SET again). The report gives
# every round and the median over rounds of each figure and of the
# difference to the baseline of the same round and client count.
#
# Environment (all optional):
#   DURATION     each measured run (default 10s)
#   ROUNDS       rounds (default 3)
#   CONNS        client counts, each measured in every round (default "1 16")
#   WARMUP       one unmeasured run per configuration before round 1 (default 3s)
#   CACHE_FILL   the unmeasured run filling Redis before each search-cache run (default 3s)
#   THREADS      wrk threads (default 2, at most the connections)
#   N            credentials (default 20000); PAIRS_N pairs (default 20000)
#   CASES        cases (default 5000); QUERIES queries (default 500)
#   SERVER_CPU   core of the portals (default 0)
#   LOAD_CPU     core of the load generator and redis-server (default 1)
#   SEED         generator seed (default 1)
#   BENCH_CACHE  generated data kept between runs (default ${TMPDIR:-/tmp}/ethicsportal-bench)
#   KEEP         1: keep the temporary directory
#
# wrk is installed with apt-get when missing, as in verify.sh; redis-server
# and redis-cli must be installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-1 16}
WARMUP=${WARMUP:-3s}
CACHE_FILL=${CACHE_FILL:-3s}
THREADS=${THREADS:-2}
N=${N:-20000}
PAIRS_N=${PAIRS_N:-20000}
MISS=0.1
CASES=${CASES:-5000}
QUERIES=${QUERIES:-500}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SEED=${SEED:-1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"


need_wrk
for tool in wrk redis-server redis-cli taskset curl; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[ "$(nproc)" -ge 2 ] || die "pinning needs 2 cores"

# --- processes and clean-up ---------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-redis.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$pid"; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TAKEN_PORT=""


SERVE=(taskset -c "$SERVER_CPU" env GOMAXPROCS=1)
LOAD=(taskset -c "$LOAD_CPU")

# --- build and data -------------------------------------------------------------
log "building into $WORK"
go build -o "$WORK/ethicsportal" .
go build -o "$WORK/searchbench" ./bench/searchbench
go build -o "$WORK/gencsv" ./bench/gencsv
go build -o "$WORK/gencases" ./bench/gencases

# The same cache keys as verify.sh and search.sh, so their data is reused.
GENHASH=$(sha256sum bench/gencsv/main.go | cut -c1-12)
VSET="$BENCH_CACHE/n$N-seed$SEED-id1-p$PAIRS_N-m$MISS-$GENHASH"
CSV="$VSET/credentials.csv"
PAIRS="$VSET/pairs.tsv"
if [ ! -s "$CSV" ] || [ ! -s "$PAIRS" ]; then
	log "generating $N credentials into $VSET"
	mkdir -p "$VSET"
	"$WORK/gencsv" -n "$N" -seed "$SEED" -id-numbers -o "$CSV.tmp" -pairs "$PAIRS.tmp" -pairs-n "$PAIRS_N" -miss "$MISS"
	mv "$PAIRS.tmp" "$PAIRS"
	mv "$CSV.tmp" "$CSV"
fi
GENHASH=$(cat bench/gencases/main.go demo/*.go | sha256sum | cut -c1-12)
SSET="$BENCH_CACHE/search-n$CASES-q$QUERIES-seed$SEED-$GENHASH"
CASEFILE="$SSET/cases.jsonl"
QFILE="$SSET/queries.txt"
if [ ! -s "$CASEFILE" ] || [ ! -s "$QFILE" ]; then
	log "generating $CASES cases and $QUERIES queries into $SSET"
	mkdir -p "$SSET"
	"$WORK/gencases" -n "$CASES" -seed "$SEED" -o "$CASEFILE.tmp"
	"$WORK/gencases" -queries "$QUERIES" -seed "$SEED" -o "$QFILE.tmp"
	mv "$CASEFILE.tmp" "$CASEFILE"
	mv "$QFILE.tmp" "$QFILE"
fi

export PORTAL_LOG_LEVEL=warn PORTAL_RATE_VERIFY=1000000/s PORTAL_RATE_SEARCH=1000000/s \
	PORTAL_REQUIRE_TOTP=false PORTAL_DATABASE_URL= PORTAL_MEILI_URL= PORTAL_REDIS_URL=

# Each server has a data dir of its own: the embedded index allows one
# process. The stores are made once and copied.
log "importing $N credentials"
mkdir -p "$WORK/verify-memory"
port=$(free_port)
PORTAL_DATA_DIR="$WORK/verify-memory" PORTAL_ADDR="127.0.0.1:$port" "$WORK/ethicsportal" serve >"$WORK/init.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_url "$pid" "http://127.0.0.1:$port/healthz" # serve creates the store; import wants one
stop_pid "$pid"
PORTAL_DATA_DIR="$WORK/verify-memory" "$WORK/ethicsportal" import credentials "$CSV" >"$WORK/import.log" 2>&1 ||
	{ tail "$WORK/import.log" >&2; die "import failed"; }
cp -a "$WORK/verify-memory" "$WORK/verify-redis"
log "writing $CASES cases and building the index"
mkdir -p "$WORK/search-none"
PORTAL_DATA_DIR="$WORK/search-none" "$WORK/searchbench" load -cases "$CASEFILE" | grep '^LOAD ' >&2
cp -a "$WORK/search-none" "$WORK/search-limit"
cp -a "$WORK/search-none" "$WORK/search-cache"
cp -a "$WORK/search-none" "$WORK/search-memory"

# --- redis-server -----------------------------------------------------------------
REDIS_PORT=$(free_port)
TAKEN_PORT="$REDIS_PORT"
mkdir -p "$WORK/redis"
"${LOAD[@]}" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
	--dir "$WORK/redis" --daemonize no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for i in $(seq 100); do
	[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
	kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited (see $WORK/redis.log)"
	[ "$i" -lt 100 ] || die "redis-server does not answer"
	sleep 0.1
done
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
redis_commands() { # commands Redis has processed, less the INFO asking
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'
}

# --- portals ----------------------------------------------------------------------
CONFIGS=(verify-memory verify-redis search-none search-limit search-cache search-memory)
declare -A PORT PID
start() { # name redis-url command...
	local name=$1 url=$2
	shift 2
	PORT[$name]=$(free_port)
	TAKEN_PORT="$TAKEN_PORT ${PORT[$name]}"
	PORTAL_DATA_DIR="$WORK/$name" PORTAL_ADDR="127.0.0.1:${PORT[$name]}" PORTAL_REDIS_URL="$url" \
		PORTAL_REDIS_PREFIX="bench:$name:" "${SERVE[@]}" "$@" >"$WORK/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=("${PID[$name]}")
}
start verify-memory "" "$WORK/ethicsportal" serve
start verify-redis "$REDIS_URL" "$WORK/ethicsportal" serve
start search-none "" "$WORK/searchbench" serve -cache=false
start search-limit "$REDIS_URL" "$WORK/searchbench" serve -cache=false
start search-cache "$REDIS_URL" "$WORK/searchbench" serve -local-cache=false
start search-memory "" "$WORK/searchbench" serve
for c in "${CONFIGS[@]}"; do wait_url "${PID[$c]}" "http://127.0.0.1:${PORT[$c]}/readyz"; done

# Sanity: each answers, and each Redis configuration talks to Redis as
# meant (see the header for the counts).
IFS=, read -r first_no first_name _ < <(sed -n 2p "$CSV")
for c in verify-memory verify-redis; do
	curl -fsS -H 'Content-Type: application/json' -d "{\"certificate_no\":\"$first_no\",\"name\":\"$first_name\"}" \
		"http://127.0.0.1:${PORT[$c]}/api/v1/verifications" | grep -q '"match":true' || die "$c does not match $first_no"
done
q='/api/v1/cases?q=%E4%BD%93%E7%BD%9A' # 体罚
for c in search-none search-limit search-cache search-memory; do
	curl -fsS "http://127.0.0.1:${PORT[$c]}$q" | grep -q '"total":[1-9]' || die "$c finds nothing for 体罚"
done
expect_commands() { # name want path [curl args]
	local name=$1 want=$2 path=$3 a b
	shift 3
	# The first request also dials Redis (HELLO, CLIENT SETINFO) and loads
	# the limiter's script; the second is the steady state.
	curl -fsS -o /dev/null "$@" "http://127.0.0.1:${PORT[$name]}$path"
	a=$(redis_commands)
	curl -fsS -o /dev/null "$@" "http://127.0.0.1:${PORT[$name]}$path"
	b=$(redis_commands)
	[ $((b - a - 1)) -eq "$want" ] || die "$name: $((b - a - 1)) Redis commands for one request, want $want"
}
expect_commands verify-memory 0 /api/v1/verifications -H 'Content-Type: application/json' -d "{\"certificate_no\":\"$first_no\",\"name\":\"$first_name\"}"
expect_commands verify-redis 4 /api/v1/verifications -H 'Content-Type: application/json' -d "{\"certificate_no\":\"$first_no\",\"name\":\"$first_name\"}"
expect_commands search-none 0 "$q"
expect_commands search-limit 4 "$q"
expect_commands search-cache 5 "$q"
expect_commands search-memory 0 "$q"

# --- runs ---------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

# load name conns duration label: one run; the BENCH line, with the
# portal's and Redis's CPU per request and Redis commands per request
# added, goes to $WORK/bench-<label>.txt.
load() {
	local name=$1 c=$2 dur=$3 label=$4 t=$THREADS c0 c1 r0 r1 k0 k1 url="http://127.0.0.1:${PORT[$1]}"
	if [ "$t" -gt "$c" ]; then t=$c; fi
	if [ "$name" = search-cache ]; then fill_cache; fi
	log "$label: $name, $c client(s), $dur"
	c0=$(cpu_ticks "${PID[$name]}")
	r0=$(cpu_ticks "$REDIS_PID")
	k0=$(redis_commands)
	case $name in
	verify-*) PAIRS_FILE="$PAIRS" "${LOAD[@]}" wrk -c "$c" -t "$t" -d "$dur" --latency -s bench/verify.lua "$url" >"$WORK/out-$label.txt" ;;
	search-*) PORTAL_DATA_DIR="$WORK/$name" "${LOAD[@]}" "$WORK/searchbench" portal -url "$url" -queries "$QFILE" \
		-c "$c" -d "$dur" -warmup 0s >"$WORK/out-$label.txt" ;;
	esac
	k1=$(redis_commands)
	r1=$(cpu_ticks "$REDIS_PID")
	c1=$(cpu_ticks "${PID[$name]}")
	grep '^BENCH ' "$WORK/out-$label.txt" | awk -v t=$((c1 - c0)) -v rt=$((r1 - r0)) -v k=$((k1 - k0 - 1)) -v hz="$CLK_TCK" '{
		n = $0; sub(/.*requests=/, "", n); sub(/ .*/, "", n)
		printf "%s cpu_us_per_req=%.1f redis_cpu_us_per_req=%.1f redis_per_req=%.2f\n", $0, t * 1e6 / hz / n, rt * 1e6 / hz / n, k / n
	}' >"$WORK/bench-$label.txt"
	[ -s "$WORK/bench-$label.txt" ] || die "no BENCH line from $label (see $WORK/out-$label.txt)"
}
# fill_cache: search-cache's keys deleted, then every query asked once
# (the load generator walks the queries in order), so the next run finds
# them all in Redis with the whole TTL ahead.
fill_cache() {
	local keys
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern 'bench:search-cache:c:*' |
		xargs -r -n 100 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" del >/dev/null
	"${LOAD[@]}" "$WORK/searchbench" portal -url "http://127.0.0.1:${PORT[search-cache]}" -queries "$QFILE" \
		-c 4 -d "$CACHE_FILL" -warmup 0s >"$WORK/fill.txt"
	keys=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern 'bench:search-cache:c:*' | wc -l)
	log "search-cache: $keys answers in Redis"
}

if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	set -- $CONNS
	for c in "${CONFIGS[@]}"; do load "$c" "${!#}" "$WARMUP" "warmup-$c"; done
fi
for r in $(seq "$ROUNDS"); do
	order=("${CONFIGS[@]}")
	if [ $((r % 2)) = 0 ]; then order=(verify-redis verify-memory search-memory search-cache search-limit search-none); fi
	for c in $CONNS; do
		for name in "${order[@]}"; do load "$name" "$c" "$DURATION" "$name-c$c-r$r"; done
	done
done

# --- report ---------------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base_of() { case $1 in verify-*) echo verify-memory ;; *) echo search-none ;; esac; }
diff_ms() { # label base-label field: (label - base) in ms
	awk -v a="$(field "$1" "$3")" -v b="$(field "$2" "$3")" 'BEGIN { printf "%+.3f", (a - b) / 1000 }'
}
flag() { # name label: "!" when the fallback answered some requests, "m" when the cache missed
	local want=0
	case $1 in verify-redis | search-limit) want=4 ;; search-cache) want=5 ;; esac
	awk -v k="$(field "$2" redis_per_req)" -v w="$want" 'BEGIN { if (w > 0 && k < w - 0.05) print "!"; else if (w == 5 && k > 5.05) print "m"; else print "" }'
}
{
	echo "ethicsportal Redis limiter and cache, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "portals on core $SERVER_CPU (GOMAXPROCS=1); load generator and redis-server $(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/') on core $LOAD_CPU"
	echo "DURATION=$DURATION ROUNDS=$ROUNDS CONNS=\"$CONNS\"; verification: $N credentials, wrk; search: $CASES cases, $QUERIES queries, searchbench portal"
	for c in $CONNS; do
		echo
		echo "$c client(s)"
		printf '  %-6s %-14s %9s %9s %9s %9s %9s %9s %9s %7s\n' round config "req/s" "p50 ms" "p99 ms" "+p50 ms" "+p99 ms" "CPU us/r" "+CPU us" "redis/r"
		for r in $(seq "$ROUNDS"); do
			for name in "${CONFIGS[@]}"; do
				l="$name-c$c-r$r"
				b="$(base_of "$name")-c$c-r$r"
				printf '  %-6s %-14s %9.0f %9s %9s %9s %9s %9s %9s %6s%1s\n' "$r" "$name" "$(field "$l" rps)" \
					"$(ms "$(field "$l" p50_us)")" "$(ms "$(field "$l" p99_us)")" "$(diff_ms "$l" "$b" p50_us)" "$(diff_ms "$l" "$b" p99_us)" \
					"$(field "$l" cpu_us_per_req)" "$(awk -v a="$(field "$l" cpu_us_per_req)" -v b="$(field "$b" cpu_us_per_req)" 'BEGIN { printf "%+.1f", a - b }')" \
					"$(field "$l" redis_per_req)" "$(flag "$name" "$l")"
			done
		done
		for name in "${CONFIGS[@]}"; do
			rps=() p50=() p99=() d50=() d99=() cpu=() dcpu=() k=()
			for r in $(seq "$ROUNDS"); do
				l="$name-c$c-r$r"
				b="$(base_of "$name")-c$c-r$r"
				rps+=("$(field "$l" rps)")
				p50+=("$(ms "$(field "$l" p50_us)")")
				p99+=("$(ms "$(field "$l" p99_us)")")
				d50+=("$(diff_ms "$l" "$b" p50_us)")
				d99+=("$(diff_ms "$l" "$b" p99_us)")
				cpu+=("$(field "$l" cpu_us_per_req)")
				dcpu+=("$(awk -v a="$(field "$l" cpu_us_per_req)" -v b="$(field "$b" cpu_us_per_req)" 'BEGIN { print a - b }')")
				k+=("$(field "$l" redis_per_req)")
			done
			printf '  %-6s %-14s %9.0f %9s %9s %+9.3f %+9.3f %9.1f %+9.1f %7.2f\n' median "$name" "$(median "${rps[@]}")" \
				"$(median "${p50[@]}")" "$(median "${p99[@]}")" "$(median "${d50[@]}")" "$(median "${d99[@]}")" \
				"$(median "${cpu[@]}")" "$(median "${dcpu[@]}")" "$(median "${k[@]}")"
		done
	done
	echo
	echo "+p50, +p99, +CPU: against verify-memory or search-none of the same round and client count (medians: of those differences)."
	echo "redis/r: commands Redis ran per request (limiter 4, with the cache 5); '!' marks a run where the fallback answered some, 'm' one where the cache missed."
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-redis-summary.txt"
