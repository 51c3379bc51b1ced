#!/usr/bin/env bash
# bench/verify.sh: the import and verification benchmarks of the portal.
#
#   bench/verify.sh                         # N=1000000 DURATION=10s ROUNDS=3, pinned
#   N=100000 DURATION=5s bench/verify.sh    # a quick run
#   bench/verify.sh --unpinned              # servers and wrk share every core (PIN=0)
#   BEFORE_REV=main bench/verify.sh         # also the portal built from another revision
#
# (b) times `ethicsportal import credentials` on N synthetic credentials and
#     prints rows/s (bench/import.sh is the import benchmark proper, with its
#     baseline; this import makes the store the load test reads).
# (a) load-tests POST /api/v1/verifications with wrk (bench/verify.lua) at
#     64 connections. Each of ROUNDS rounds runs the trivial Fiber server,
#     then the portal (and, with BEFORE_REV, the portal of that revision on
#     its own import of the same file); one more trivial run closes the
#     last round. A portal run's ratio is its requests/s over the mean of
#     the two trivial runs around it; the script prints each round's ratio
#     and their median, min and max. It also reads each server's CPU time
#     (user + system, /proc/PID/stat) before and after every run, and prints
#     CPU microseconds per request and the CPU ratio: the trivial runs' CPU
#     per request over the portal's. That ratio does not depend on how much
#     of its core a server got, which on a shared machine varies from run to
#     run and moves the requests/s ratio. Then, unless PROFILE=0, the same load
#     against bench/profserve (the portal's server with a CPU profile) and
#     the profile's top entries.
#
# Pinned (the default), every server runs on core SERVER_CPU with
# GOMAXPROCS=1 and wrk on core LOAD_CPU, so the server is judged on one core
# with the load generator not competing for it, the way a server is judged.
# Unpinned (PIN=0 or --unpinned), servers and wrk share every core, as
# before: wrk then throttles the fast trivial server more than the portal,
# and the ratio comes out higher than the pinned one.
#
# Environment (all optional):
#   N            credentials to generate and import (default 1000000)
#   DURATION     length of each measured wrk run (default 10s)
#   ROUNDS       measured rounds (default 3)
#   WARMUP       length of the unreported warm-up run before each server's
#                first measurement (default 3s; 0 to skip)
#   CONNS        wrk connections (default 64); THREADS wrk threads (default 2)
#   PIN          1 (default): pin as above; 0: unpinned
#   SERVER_CPU   core of the servers when pinned (default 0)
#   LOAD_CPU     core of wrk when pinned (default 1)
#   BEFORE_REV   a git revision: also build, import and load its portal
#   SEED         generator seed (default 1)
#   ID_NUMBERS   1 (default): every row carries a valid resident ID number,
#                so the import also hashes and links persons; 0: none
#   PAIRS_N      lines of the load test's pairs file (default 100000)
#   MISS         fraction of misses among them (default 0.1)
#   PROFILE      1 (default): also profile the portal under the same load
#   BENCH_CACHE  where generated files are kept between runs, outside the
#                repository (default ${TMPDIR:-/tmp}/ethicsportal-bench)
#   KEEP         1: keep the temporary build and data directory
#
# Only 127.0.0.1 is ever targeted. The machine is shared, so absolute
# figures move with its load; the ratio against the trivial server measured
# in the same round is the comparable one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do # settings come from the environment, but for --unpinned
	case $1 in
	--unpinned) PIN=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

N=${N:-1000000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
BEFORE_REV=${BEFORE_REV:-}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-1}
ID_NUMBERS=${ID_NUMBERS:-1}
PAIRS_N=${PAIRS_N:-100000}
MISS=${MISS:-0.1}
PROFILE=${PROFILE:-1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"


# --- wrk --------------------------------------------------------------------
need_wrk

# --- processes and clean-up ---------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-verify.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$pid"; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback port nothing answers on.

# wait_healthz pid port: until GET /healthz answers 200, or the process dies.

# Pinned, servers run on SERVER_CPU with GOMAXPROCS=1 and wrk on LOAD_CPU.
pin_commands

# --- build ------------------------------------------------------------------------
log "building into $WORK"
go build -o "$WORK/ethicsportal" .
go build -o "$WORK/trivial" ./bench/trivial
go build -o "$WORK/profserve" ./bench/profserve
go build -o "$WORK/gencsv" ./bench/gencsv
if [ -n "$BEFORE_REV" ]; then
	log "building the portal of $BEFORE_REV"
	mkdir -p "$WORK/before-src"
	git archive "$BEFORE_REV" | tar -x -C "$WORK/before-src"
	(cd "$WORK/before-src" && go build -o "$WORK/ethicsportal-before" .)
fi

# --- data, cached -------------------------------------------------------------
GENHASH=$(sha256sum bench/gencsv/main.go | cut -c1-12)
DATASET="$BENCH_CACHE/n$N-seed$SEED-id$ID_NUMBERS-p$PAIRS_N-m$MISS-$GENHASH"
CSV="$DATASET/credentials.csv"
PAIRS="$DATASET/pairs.tsv"
if [ -s "$CSV" ] && [ -s "$PAIRS" ]; then
	log "reusing $DATASET"
else
	log "generating $N credentials into $DATASET"
	mkdir -p "$DATASET"
	idflag=()
	if [ "$ID_NUMBERS" = 1 ]; then idflag=(-id-numbers); fi
	"$WORK/gencsv" -n "$N" -seed "$SEED" ${idflag[@]+"${idflag[@]}"} -o "$CSV.tmp" \
		-pairs "$PAIRS.tmp" -pairs-n "$PAIRS_N" -miss "$MISS"
	mv "$PAIRS.tmp" "$PAIRS"
	mv "$CSV.tmp" "$CSV"
fi
cat "$CSV" >/dev/null # in the page cache, so the import times the portal, not the disk

# --- (b) import --------------------------------------------------------------
export PORTAL_LOG_LEVEL=warn PORTAL_RATE_VERIFY=1000000/s
# create_store bin dir: a first serve creates the store in dir, since every
# command but serve refuses a missing store. Not timed.
create_store() {
	local bin=$1 dir=$2 port pid
	port=$(free_port)
	PORTAL_DATA_DIR="$dir" PORTAL_ADDR="127.0.0.1:$port" "$bin" serve >"$dir.init.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_healthz "$pid" "$port"
	stop_pid "$pid"
}

# import_into bin dir: imports the CSV into a fresh data dir; prints seconds.
import_into() {
	local bin=$1 dir=$2 t0 t1 rc=0
	mkdir -p "$dir"
	create_store "$bin" "$dir" >&2
	t0=$(date +%s%N)
	PORTAL_DATA_DIR="$dir" "$bin" import credentials "$CSV" >"$dir.import.out" 2>"$dir.import.err" || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		head -20 "$dir.import.out" "$dir.import.err" >&2
		die "import by $bin failed with status $rc"
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}
DATA="$WORK/data"
log "importing $(du -h "$CSV" | cut -f1) of CSV ($N rows)"
IMPORT_SECS=$(import_into "$WORK/ethicsportal" "$DATA")
IMPORT_RPS=$(awk -v n="$N" -v s="$IMPORT_SECS" 'BEGIN { printf "%.0f", n / s }')
IMPORT_LINE=$(tail -1 "$DATA.import.out")
DB_SIZE=$(du -sh "$DATA" | cut -f1)
if [ -n "$BEFORE_REV" ]; then
	log "importing the same file with the portal of $BEFORE_REV"
	BEFORE_IMPORT_SECS=$(import_into "$WORK/ethicsportal-before" "$WORK/data-before")
fi

# --- servers ------------------------------------------------------------------
TAKEN_PORT="" # ports chosen but maybe not listened on yet
TRIVIAL_PORT=$(free_port)
TAKEN_PORT=$TRIVIAL_PORT
PORTAL_PORT=$(free_port)
TAKEN_PORT="$TRIVIAL_PORT $PORTAL_PORT"
"${SERVE[@]}" "$WORK/trivial" -addr "127.0.0.1:$TRIVIAL_PORT" >"$WORK/trivial.log" 2>&1 &
TRIVIAL_PID=$!
PIDS+=("$TRIVIAL_PID")
PORTAL_DATA_DIR="$DATA" PORTAL_ADDR="127.0.0.1:$PORTAL_PORT" "${SERVE[@]}" "$WORK/ethicsportal" serve >"$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
PIDS+=("$PORTAL_PID")
wait_healthz "$TRIVIAL_PID" "$TRIVIAL_PORT"
wait_healthz "$PORTAL_PID" "$PORTAL_PORT"
PORTALS=(portal)
declare -A PORT=([trivial]=$TRIVIAL_PORT [portal]=$PORTAL_PORT)
declare -A PID=([trivial]=$TRIVIAL_PID [portal]=$PORTAL_PID)
if [ -n "$BEFORE_REV" ]; then
	BEFORE_PORT=$(free_port)
	PORTAL_DATA_DIR="$WORK/data-before" PORTAL_ADDR="127.0.0.1:$BEFORE_PORT" "${SERVE[@]}" "$WORK/ethicsportal-before" serve >"$WORK/portal-before.log" 2>&1 &
	BEFORE_PID=$!
	PIDS+=("$BEFORE_PID")
	wait_healthz "$BEFORE_PID" "$BEFORE_PORT"
	PORTALS+=(before)
	PORT[before]=$BEFORE_PORT
	PID[before]=$BEFORE_PID
fi

# Sanity: a registered pair matches, an unknown number does not.
IFS=, read -r first_no first_name _ < <(sed -n 2p "$CSV")
verify_once() { # port no name
	curl -fsS -H 'Content-Type: application/json' \
		-d "{\"certificate_no\":\"$2\",\"name\":\"$3\"}" "http://127.0.0.1:$1/api/v1/verifications"
}
for p in "${PORTALS[@]}"; do
	verify_once "${PORT[$p]}" "$first_no" "$first_name" | grep -q '"match":true' ||
		die "the $p portal does not match $first_no $first_name"
	verify_once "${PORT[$p]}" "00000000000000000" "$first_name" | grep -q '"match":false' ||
		die "the $p portal matches an unknown number"
done

# cpu_ticks pid: the process's user + system CPU time so far, in clock ticks.
CLK_TCK=$(getconf CLK_TCK)

# run_wrk label port duration [pid]: prints wrk's report, keeps its BENCH
# line, and with pid adds the CPU the server used during the run (cpu_us)
# and per request (cpu_us_per_req) to it.
run_wrk() {
	local label=$1 port=$2 dur=$3 pid=${4:-} c0=0 c1=0
	log "wrk $label: -c $CONNS -t $THREADS -d $dur against 127.0.0.1:$port"
	if [ -n "$pid" ]; then c0=$(cpu_ticks "$pid"); fi
	PAIRS_FILE="$PAIRS" "${LOAD[@]}" wrk -c "$CONNS" -t "$THREADS" -d "$dur" --latency -s bench/verify.lua \
		"http://127.0.0.1:$port" >"$WORK/wrk-$label.txt"
	if [ -n "$pid" ]; then c1=$(cpu_ticks "$pid"); fi
	cat "$WORK/wrk-$label.txt" >&2
	grep '^BENCH ' "$WORK/wrk-$label.txt" >"$WORK/bench-$label.txt" || die "no BENCH line from wrk ($label)"
	if [ -n "$pid" ]; then
		awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" '{
			n = $2; sub("requests=", "", n)
			printf "%s cpu_us=%.0f cpu_us_per_req=%.2f\n", $0, t * 1e6 / hz, (n > 0 ? t * 1e6 / hz / n : 0)
		}' "$WORK/bench-$label.txt" >"$WORK/bench-$label.tmp"
		mv "$WORK/bench-$label.tmp" "$WORK/bench-$label.txt"
	fi
}

if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	run_wrk warmup-trivial "$TRIVIAL_PORT" "$WARMUP"
	for p in "${PORTALS[@]}"; do run_wrk "warmup-$p" "${PORT[$p]}" "$WARMUP"; done
fi
for r in $(seq "$ROUNDS"); do
	run_wrk "trivial$r" "$TRIVIAL_PORT" "$DURATION" "$TRIVIAL_PID"
	for p in "${PORTALS[@]}"; do run_wrk "$p$r" "${PORT[$p]}" "$DURATION" "${PID[$p]}"; done
done
run_wrk "trivial$((ROUNDS + 1))" "$TRIVIAL_PORT" "$DURATION" "$TRIVIAL_PID"

# ratio portal round: the run's rps over the mean of the trivial runs around it.
ratio() {
	awk -v p="$(field "$1$2" rps)" -v a="$(field "trivial$2" rps)" -v b="$(field "trivial$(($2 + 1))" rps)" \
		'BEGIN { printf "%.3f", p / ((a + b) / 2) }'
}
# cpu_ratio portal round: the mean CPU per request of the trivial runs
# around it over the run's CPU per request.
cpu_ratio() {
	awk -v p="$(field "$1$2" cpu_us_per_req)" -v a="$(field "trivial$2" cpu_us_per_req)" \
		-v b="$(field "trivial$(($2 + 1))" cpu_us_per_req)" 'BEGIN { printf "%.3f", ((a + b) / 2) / p }'
}
# spread v...: median, min and max of the values.
spread() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.3f (min %.3f, max %.3f, %d rounds)", m, v[1], v[NR], NR }'; }

# --- profile --------------------------------------------------------------------
PROF_RPS=""
if [ "$PROFILE" = 1 ]; then
	if [ -n "$BEFORE_REV" ]; then stop_pid "$BEFORE_PID"; fi
	stop_pid "$PORTAL_PID" # the profiled server gets the core to itself, as the portal had
	PROF_PORT=$(free_port)
	PORTAL_DATA_DIR="$DATA" PORTAL_ADDR="127.0.0.1:$PROF_PORT" "${SERVE[@]}" "$WORK/profserve" -cpuprofile "$WORK/portal.pprof" >"$WORK/profserve.log" 2>&1 &
	PROF_PID=$!
	PIDS+=("$PROF_PID")
	wait_healthz "$PROF_PID" "$PROF_PORT"
	run_wrk profiled "$PROF_PORT" "$DURATION"
	stop_pid "$PROF_PID"
	PROF_RPS=$(field profiled rps)
	mkdir -p "$BENCH_CACHE"
	cp "$WORK/portal.pprof" "$BENCH_CACHE/last-portal.pprof"
	cp "$WORK/profserve" "$BENCH_CACHE/last-profserve"
	log "CPU profile of the portal under load (kept as $BENCH_CACHE/last-portal.pprof)"
	go tool pprof -top -nodecount=30 "$WORK/profserve" "$WORK/portal.pprof" 2>/dev/null | sed -n '1,40p'
	echo
	log "the same, cumulative"
	go tool pprof -top -cum -nodecount=40 "$WORK/profserve" "$WORK/portal.pprof" 2>/dev/null | sed -n '6,50p'
	echo
fi

# --- report -------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
MODE="unpinned: servers and wrk share $(nproc) cores"
if [ "$PIN" = 1 ]; then MODE="pinned: servers on core $SERVER_CPU with GOMAXPROCS=1, wrk on core $LOAD_CPU"; fi
{
	echo "ethicsportal benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, N=$N, DURATION=$DURATION, ROUNDS=$ROUNDS, -c $CONNS -t $THREADS"
	echo "$MODE"
	echo
	echo "(b) import: $N rows in ${IMPORT_SECS}s wall = $IMPORT_RPS rows/s; database $DB_SIZE"
	echo "    the command said: $IMPORT_LINE"
	if [ -n "$BEFORE_REV" ]; then
		echo "    the portal of $BEFORE_REV: ${BEFORE_IMPORT_SECS}s wall"
	fi
	echo
	echo "(a) POST /api/v1/verifications, $(wc -l <"$PAIRS") pairs, miss fraction $MISS"
	printf '    %-10s %12s %12s %12s %8s %8s %12s %10s\n' run "requests/s" p50 p99 non2xx ratio "CPU us/req" "CPU ratio"
	for r in $(seq "$((ROUNDS + 1))"); do
		printf '    %-10s %12s %12s %12s %8s %8s %12s\n' "trivial$r" "$(field "trivial$r" rps)" "$(ms "$(field "trivial$r" p50_us)")" "$(ms "$(field "trivial$r" p99_us)")" "$(field "trivial$r" non2xx)" "" "$(field "trivial$r" cpu_us_per_req)"
		[ "$r" -le "$ROUNDS" ] || continue
		for p in "${PORTALS[@]}"; do
			printf '    %-10s %12s %12s %12s %8s %8s %12s %10s\n' "$p$r" "$(field "$p$r" rps)" "$(ms "$(field "$p$r" p50_us)")" "$(ms "$(field "$p$r" p99_us)")" "$(field "$p$r" non2xx)" "$(ratio "$p" "$r")" "$(field "$p$r" cpu_us_per_req)" "$(cpu_ratio "$p" "$r")"
		done
	done
	for p in "${PORTALS[@]}"; do
		rs=()
		cs=()
		for r in $(seq "$ROUNDS"); do
			rs+=("$(ratio "$p" "$r")")
			cs+=("$(cpu_ratio "$p" "$r")")
		done
		name="portal"
		if [ "$p" = before ]; then name="portal of $BEFORE_REV"; fi
		echo "    ratio $name / mean(trivial around it): $(spread "${rs[@]}")"
		echo "    CPU ratio, mean(trivial CPU per request around it) / $name CPU per request: $(spread "${cs[@]}")"
	done
	if [ -n "$PROF_RPS" ]; then
		echo "    profiled portal (bench/profserve): $PROF_RPS requests/s, p99 $(ms "$(field profiled p99_us)")"
	fi
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-summary.txt"
