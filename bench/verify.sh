#!/usr/bin/env bash
# bench/verify.sh: the import and verification benchmarks of the portal.
#
#   bench/verify.sh                         # N=1000000 DURATION=20s
#   N=100000 DURATION=10s bench/verify.sh   # a quick run
#
# (b) times `ethicsportal import credentials` on N synthetic credentials and
#     prints rows/s (target: over 50,000 rows/s).
# (a) load-tests POST /api/v1/verifications with wrk (bench/verify.lua) at
#     64 connections: the trivial Fiber server, then the portal, then the
#     trivial server again, and prints requests/s, p99 and the ratio
#     portal / mean(trivial). Then, unless PROFILE=0, the same load against
#     bench/profserve (the portal's server with a CPU profile) and the
#     profile's top entries.
#
# Environment (all optional):
#   N            credentials to generate and import (default 1000000)
#   DURATION     length of each measured wrk run (default 20s)
#   WARMUP       length of the unreported warm-up run before each server's
#                first measurement (default 3s; 0 to skip)
#   CONNS        wrk connections (default 64); THREADS wrk threads (default 2)
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
# Only 127.0.0.1 is ever targeted. The machine's cores are shared by the
# servers and wrk, so absolute figures move with the machine; the ratio
# against the trivial server measured in the same run is the comparable one.
set -euo pipefail

if [ $# -gt 0 ]; then # settings come from the environment only
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	case $1 in -h | --help) exit 0 ;; *) exit 2 ;; esac
fi

N=${N:-1000000}
DURATION=${DURATION:-20s}
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

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'verify.sh: %s\n' "$*" >&2; exit 1; }

# --- wrk --------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
	log "installing wrk"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
	$SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
	command -v wrk >/dev/null 2>&1 || die "could not install wrk"
fi

# --- processes and clean-up ---------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-verify.XXXXXX")
PIDS=()
stop_pid() { # pid: SIGTERM, then wait for it (it is our child)
	local pid=$1
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$pid"; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback port nothing answers on.
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		if [ "$p" != "${TAKEN_PORT:-}" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_healthz pid port: until GET /healthz answers 200, or the process dies.
wait_healthz() {
	local pid=$1 port=$2 i
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || die "the server on port $port exited (see $WORK/*.log)"
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "no answer on http://127.0.0.1:$port/healthz after 30s"
}

# --- build ------------------------------------------------------------------------
log "building into $WORK"
go build -o "$WORK/ethicsportal" .
go build -o "$WORK/trivial" ./bench/trivial
go build -o "$WORK/profserve" ./bench/profserve
go build -o "$WORK/gencsv" ./bench/gencsv

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
DATA="$WORK/data"
mkdir -p "$DATA"
export PORTAL_DATA_DIR="$DATA" PORTAL_LOG_LEVEL=warn PORTAL_RATE_VERIFY=1000000/s
# Commands other than serve refuse a missing store: a first serve creates it.
INIT_PORT=$(free_port)
PORTAL_ADDR="127.0.0.1:$INIT_PORT" "$WORK/ethicsportal" serve >"$WORK/init.log" 2>&1 &
INIT_PID=$!
PIDS+=("$INIT_PID")
wait_healthz "$INIT_PID" "$INIT_PORT"
stop_pid "$INIT_PID"
log "importing $(du -h "$CSV" | cut -f1) of CSV ($N rows)"
t0=$(date +%s%N)
rc=0
"$WORK/ethicsportal" import credentials "$CSV" >"$WORK/import.out" 2>"$WORK/import.err" || rc=$?
t1=$(date +%s%N)
if [ "$rc" -ne 0 ]; then
	head -20 "$WORK/import.out" "$WORK/import.err" >&2
	die "import failed with status $rc"
fi
IMPORT_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
IMPORT_RPS=$(awk -v n="$N" -v s="$IMPORT_SECS" 'BEGIN { printf "%.0f", n / s }')
IMPORT_LINE=$(tail -1 "$WORK/import.out")
DB_SIZE=$(du -sh "$DATA" | cut -f1)

# --- servers ------------------------------------------------------------------
TAKEN_PORT=""
TRIVIAL_PORT=$(free_port)
TAKEN_PORT=$TRIVIAL_PORT
PORTAL_PORT=$(free_port)
"$WORK/trivial" -addr "127.0.0.1:$TRIVIAL_PORT" >"$WORK/trivial.log" 2>&1 &
TRIVIAL_PID=$!
PIDS+=("$TRIVIAL_PID")
PORTAL_ADDR="127.0.0.1:$PORTAL_PORT" "$WORK/ethicsportal" serve >"$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
PIDS+=("$PORTAL_PID")
wait_healthz "$TRIVIAL_PID" "$TRIVIAL_PORT"
wait_healthz "$PORTAL_PID" "$PORTAL_PORT"

# Sanity: a registered pair matches, an unknown number does not.
IFS=, read -r first_no first_name _ < <(sed -n 2p "$CSV")
verify_once() { # port no name
	curl -fsS -H 'Content-Type: application/json' \
		-d "{\"certificate_no\":\"$2\",\"name\":\"$3\"}" "http://127.0.0.1:$1/api/v1/verifications"
}
verify_once "$PORTAL_PORT" "$first_no" "$first_name" | grep -q '"match":true' ||
	die "the portal does not match $first_no $first_name"
verify_once "$PORTAL_PORT" "00000000000000000" "$first_name" | grep -q '"match":false' ||
	die "the portal matches an unknown number"

# run_wrk label port duration: prints wrk's report, keeps its BENCH line.
run_wrk() {
	local label=$1 port=$2 dur=$3
	log "wrk $label: -c $CONNS -t $THREADS -d $dur against 127.0.0.1:$port"
	PAIRS_FILE="$PAIRS" wrk -c "$CONNS" -t "$THREADS" -d "$dur" --latency -s bench/verify.lua \
		"http://127.0.0.1:$port" >"$WORK/wrk-$label.txt"
	cat "$WORK/wrk-$label.txt" >&2
	grep '^BENCH ' "$WORK/wrk-$label.txt" >"$WORK/bench-$label.txt" || die "no BENCH line from wrk ($label)"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$WORK/bench-$1.txt"; }

if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	run_wrk warmup-trivial "$TRIVIAL_PORT" "$WARMUP"
	run_wrk warmup-portal "$PORTAL_PORT" "$WARMUP"
fi
run_wrk trivial1 "$TRIVIAL_PORT" "$DURATION"
run_wrk portal "$PORTAL_PORT" "$DURATION"
run_wrk trivial2 "$TRIVIAL_PORT" "$DURATION"

T1=$(field trivial1 rps)
T2=$(field trivial2 rps)
P=$(field portal rps)
RATIO=$(awk -v p="$P" -v a="$T1" -v b="$T2" 'BEGIN { printf "%.3f", p / ((a + b) / 2) }')
DRIFT=$(awk -v a="$T1" -v b="$T2" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.1f", 100 * d / ((a + b) / 2) }')

# --- profile --------------------------------------------------------------------
PROF_RPS=""
if [ "$PROFILE" = 1 ]; then
	stop_pid "$PORTAL_PID" # the profiled server gets the machine to itself, as the portal had
	PROF_PORT=$(free_port)
	PORTAL_ADDR="127.0.0.1:$PROF_PORT" "$WORK/profserve" -cpuprofile "$WORK/portal.pprof" >"$WORK/profserve.log" 2>&1 &
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
{
	echo "ethicsportal benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, N=$N, DURATION=$DURATION, -c $CONNS -t $THREADS"
	echo
	echo "(b) import: $N rows in ${IMPORT_SECS}s wall = $IMPORT_RPS rows/s (target > 50000); database $DB_SIZE"
	echo "    the command said: $IMPORT_LINE"
	echo
	echo "(a) POST /api/v1/verifications, $(wc -l <"$PAIRS") pairs, miss fraction $MISS"
	printf '    %-10s %12s %12s %12s %8s\n' run "requests/s" p50 p99 non2xx
	for r in trivial1 portal trivial2; do
		printf '    %-10s %12s %12s %12s %8s\n' "$r" "$(field $r rps)" "$(ms "$(field $r p50_us)")" "$(ms "$(field $r p99_us)")" "$(field $r non2xx)"
	done
	echo "    ratio portal / mean(trivial) = $RATIO   (trivial drift between its two runs: ${DRIFT}%)"
	if [ -n "$PROF_RPS" ]; then
		echo "    profiled portal (bench/profserve): $PROF_RPS requests/s, p99 $(ms "$(field profiled p99_us)")"
	fi
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-summary.txt"
