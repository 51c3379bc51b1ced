#!/usr/bin/env bash
# bench/batch.sh: the batch verification benchmark. Time per item of a
# 500-item POST /api/v1/verifications/batch against single
# POST /api/v1/verifications requests, in the same run on the same store.
#
#   bench/batch.sh                          # N=100000 DURATION=10s ROUNDS=3, pinned
#   N=20000 DURATION=5s ROUNDS=1 bench/batch.sh   # a quick run
#
# The store is made as bench/verify.sh makes it (bench/gencsv's credentials
# and pairs, 10% misses, imported by `ethicsportal import credentials`); a
# school client with the scope verify_batch is created through the admin
# API. Each round runs wrk with bench/verify.lua (single checks, CONNS
# connections) and then with bench/batch.lua (BATCH_CONNS connections, each
# request BATCH_SIZE distinct checks), against the same server. For each run
# the script reads the server's CPU time (/proc/PID/stat) and prints
# requests/s and CPU per request; per item, a single check costs one
# request, a batch item 1/BATCH_SIZE of one. The ratio batch/single of CPU
# per item is the figure to quote on a shared machine (it does not depend
# on how much of its core the server got); the wall-clock ratio (from
# requests/s) is printed beside it.
#
# Pinned (the default), the server runs on core SERVER_CPU with
# GOMAXPROCS=1 and wrk on core LOAD_CPU, as in bench/verify.sh.
#
# Environment (all optional):
#   N            credentials to generate and import (default 100000)
#   DURATION     length of each measured wrk run (default 10s)
#   ROUNDS       measured rounds (default 3)
#   WARMUP       unreported warm-up run of each kind first (default 3s; 0 to skip)
#   CONNS        wrk connections for single checks (default 64)
#   BATCH_CONNS  wrk connections for batches (default 4)
#   BATCH_SIZE   checks per batch (default 500, the most a batch may hold)
#   PIN, SERVER_CPU, LOAD_CPU, SEED, PAIRS_N, MISS, BENCH_CACHE, KEEP: as in bench/verify.sh
#
# Only 127.0.0.1 is ever targeted; the server is stopped on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

N=${N:-100000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
BATCH_CONNS=${BATCH_CONNS:-4}
BATCH_SIZE=${BATCH_SIZE:-500}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SEED=${SEED:-1}
PAIRS_N=${PAIRS_N:-100000}
MISS=${MISS:-0.1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

need_wrk

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-batch.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$pid"; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


pin_commands

log "building into $WORK"
go build -o "$WORK/ethicsportal" .
go build -o "$WORK/gencsv" ./bench/gencsv

GENHASH=$(sha256sum bench/gencsv/main.go | cut -c1-12)
DATASET="$BENCH_CACHE/n$N-seed$SEED-id0-p$PAIRS_N-m$MISS-$GENHASH"
CSV="$DATASET/credentials.csv"
PAIRS="$DATASET/pairs.tsv"
if [ -s "$CSV" ] && [ -s "$PAIRS" ]; then
	log "reusing $DATASET"
else
	log "generating $N credentials into $DATASET"
	mkdir -p "$DATASET"
	"$WORK/gencsv" -n "$N" -seed "$SEED" -o "$CSV.tmp" -pairs "$PAIRS.tmp" -pairs-n "$PAIRS_N" -miss "$MISS"
	mv "$PAIRS.tmp" "$PAIRS"
	mv "$CSV.tmp" "$CSV"
fi

export PORTAL_LOG_LEVEL=warn PORTAL_ACCESS_LOG=false PORTAL_REQUIRE_TOTP=false
export PORTAL_RATE_VERIFY=1000000/s PORTAL_RATE_CLIENT=1000000/s PORTAL_DATA_DIR="$WORK/data"
PORT=$(free_port)
export PORTAL_ADDR="127.0.0.1:$PORT"
B="http://127.0.0.1:$PORT"

log "creating the store and importing $N credentials"
mkdir -p "$PORTAL_DATA_DIR"
"$WORK/ethicsportal" serve >"$WORK/init.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_healthz "$pid" "$PORT"
stop_pid "$pid"
"$WORK/ethicsportal" import credentials "$CSV" >"$WORK/import.log" 2>&1 || die "import failed (see $WORK/import.log)"
echo 'batch benchmark passphrase' | "$WORK/ethicsportal" user add bench --role admin >/dev/null

"${SERVE[@]}" "$WORK/ethicsportal" serve >"$WORK/portal.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_healthz "$SERVER_PID" "$PORT"

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
TOKEN=$(curl -fsS "$B/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"bench","password":"batch benchmark passphrase"}' | json_field access_token)
[ -n "$TOKEN" ] || die "could not sign in"
API_KEY=$(curl -fsS "$B/api/v1/admin/clients" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"name":"batch benchmark","scopes":["verify_batch"]}' | json_field api_key)
[ -n "$API_KEY" ] || die "could not create a client"
export API_KEY PAIRS_FILE="$PAIRS" BATCH_SIZE

# Sanity: a two-item batch answers two results, the first a match.
IFS=, read -r first_no first_name _ < <(sed -n 2p "$CSV")
curl -fsS "$B/api/v1/verifications/batch" -H "X-API-Key: $API_KEY" -H 'Content-Type: text/csv' \
	--data-binary "$(printf 'certificate_no,name\n%s,%s\n00000000000000000,%s\n' "$first_no" "$first_name" "$first_name")" |
	grep -q '^{"results":\[{"match":true.*{"match":false' || die "the batch does not answer as expected"

CLK_TCK=$(getconf CLK_TCK)
# run label script conns duration: wrk against the server; keeps a BENCH
# line with the server's CPU time added (cpu_us, cpu_us_per_req).
run() {
	local label=$1 script=$2 conns=$3 dur=$4 c0 c1
	log "wrk $label: -c $conns -t 1 -d $dur"
	c0=$(cpu_ticks "$SERVER_PID")
	"${LOAD[@]}" wrk -c "$conns" -t 1 -d "$dur" --latency -s "$script" "$B" >"$WORK/wrk-$label.txt"
	c1=$(cpu_ticks "$SERVER_PID")
	grep '^BENCH ' "$WORK/wrk-$label.txt" | awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" '{
		n = $2; sub("requests=", "", n)
		printf "%s cpu_us=%.0f cpu_us_per_req=%.2f\n", $0, t * 1e6 / hz, (n > 0 ? t * 1e6 / hz / n : 0)
	}' >"$WORK/bench-$label.txt"
	[ -s "$WORK/bench-$label.txt" ] || die "no BENCH line from wrk ($label)"
}

if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	run warmup-single bench/verify.lua "$CONNS" "$WARMUP"
	run warmup-batch bench/batch.lua "$BATCH_CONNS" "$WARMUP"
fi
for r in $(seq "$ROUNDS"); do
	run "single$r" bench/verify.lua "$CONNS" "$DURATION"
	run "batch$r" bench/batch.lua "$BATCH_CONNS" "$DURATION"
done

MODE="unpinned"
if [ "$PIN" = 1 ]; then MODE="pinned: server on core $SERVER_CPU with GOMAXPROCS=1, wrk on core $LOAD_CPU"; fi
{
	echo "batch verification benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), N=$N, DURATION=$DURATION"
	echo "$MODE; single: -c $CONNS, batch of $BATCH_SIZE: -c $BATCH_CONNS"
	printf '%-8s %12s %10s %10s %8s %14s %14s %10s %10s\n' round "single rps" "batch rps" "batch p50" non2xx "single CPU us" "item CPU us" "CPU ratio" "wall ratio"
	for r in $(seq "$ROUNDS"); do
		awk -v r="$r" -v srps="$(field "single$r" rps)" -v brps="$(field "batch$r" rps)" -v bp50="$(field "batch$r" p50_us)" \
			-v non2xx="$(($(field "single$r" non2xx) + $(field "batch$r" non2xx)))" \
			-v scpu="$(field "single$r" cpu_us_per_req)" -v bcpu="$(field "batch$r" cpu_us_per_req)" -v size="$BATCH_SIZE" 'BEGIN {
			item = bcpu / size
			printf "%-8s %12.0f %10.1f %8.1fms %8d %14.1f %14.1f %10.3f %10.3f\n", r, srps, brps, bp50 / 1000, non2xx, scpu, item, item / scpu, srps / (brps * size)
		}'
	done
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-batch-summary.txt"
