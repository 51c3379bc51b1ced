#!/usr/bin/env bash
# bench/import.sh: the import benchmark of the portal, with its baseline.
#
#   bench/import.sh                    # N=1000000, REPS=3
#   N=100000 REPS=1 bench/import.sh    # a quick run
#
# For each of REPS repetitions, and for each of two CSV files of N rows (one
# where every row has a resident ID number, one with none), it times:
#   read   bench/csvread on the file: the same CSV reader the import uses,
#          and nothing else (the baseline: what no store work can remove)
#   import `ethicsportal import credentials FILE` into a fresh SQLite data
#          dir (the whole process: open, import, close; the store is made
#          beforehand by a first `serve`, untimed, since every other
#          command refuses a missing store)
# and prints the wall and CPU seconds (user + system) and rows/s of each,
# and the ratios import / read of both times. The CPU ratio moves less when
# other work shares the machine, since waiting for a core costs no CPU. The
# files are generated once by bench/gencsv and kept in BENCH_CACHE; they are
# read once before timing so that both programs find them in the page cache.
# Nothing is pinned: the import is a command an operator runs on the whole
# machine, and the read baseline runs the same way right before it.
#
# Environment (all optional):
#   N            rows per file (default 1000000)
#   REPS         repetitions (default 3)
#   SEED         generator seed (default 1)
#   BENCH_CACHE  where generated files are kept between runs, outside the
#                repository (default ${TMPDIR:-/tmp}/ethicsportal-bench)
#   KEEP         1: keep the temporary build and data directory
set -euo pipefail

if [ $# -gt 0 ]; then # settings come from the environment only
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	case $1 in -h | --help) exit 0 ;; *) exit 2 ;; esac
fi

N=${N:-1000000}
REPS=${REPS:-3}
SEED=${SEED:-1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'import.sh: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-import.XXXXXX")
cleanup() { if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building into $WORK"
go build -o "$WORK/ethicsportal" .
go build -o "$WORK/gencsv" ./bench/gencsv
go build -o "$WORK/csvread" ./bench/csvread

GENHASH=$(sha256sum bench/gencsv/main.go | cut -c1-12)
csv_for() { # id (1 or 0): prints the cached file's path, generating it if needed
	local dir="$BENCH_CACHE/import-n$N-seed$SEED-id$1-$GENHASH"
	if [ ! -s "$dir/credentials.csv" ]; then
		log "generating $N credentials (ID numbers: $1) into $dir"
		mkdir -p "$dir"
		local idflag=()
		if [ "$1" = 1 ]; then idflag=(-id-numbers); fi
		"$WORK/gencsv" -n "$N" -seed "$SEED" ${idflag[@]+"${idflag[@]}"} -o "$dir/credentials.csv.tmp" >&2
		mv "$dir/credentials.csv.tmp" "$dir/credentials.csv"
	fi
	echo "$dir/credentials.csv"
}
CSV1=$(csv_for 1)
CSV0=$(csv_for 0)

# timed out cmd...: runs cmd with its output to out, and prints its wall
# seconds and its CPU seconds (user + system, its children included).
timed() {
	local out=$1 t rc=0
	shift
	t=$({ TIMEFORMAT='%R %U %S'; time "$@" >"$out" 2>&1; } 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		head -20 "$out" >&2
		die "$1 failed with status $rc"
	fi
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"${t##*$'\n'}"
}
# create_store dir: every command but serve refuses a missing store, so a
# first serve creates it (untimed), stopped once it answers /healthz.
create_store() {
	local port pid i
	port=$((20000 + RANDOM % 40000))
	PORTAL_ADDR="127.0.0.1:$port" "$WORK/ethicsportal" serve >"$1.init.log" 2>&1 &
	pid=$!
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || die "serve exited while creating the store (see $1.init.log)"
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			kill -TERM "$pid"
			wait "$pid" || true
			return 0
		fi
		sleep 0.1
	done
	kill -TERM "$pid"
	die "no answer from serve on 127.0.0.1:$port after 30s"
}
RESULTS="$WORK/results.tsv" # ids rep read_wall read_cpu import_wall import_cpu
: >"$RESULTS"
export PORTAL_LOG_LEVEL=warn
for rep in $(seq "$REPS"); do
	for id in 1 0; do
		csv=$CSV0
		if [ "$id" = 1 ]; then csv=$CSV1; fi
		cat "$csv" >/dev/null
		read -r rw rc < <(timed "$WORK/read.out" "$WORK/csvread" "$csv")
		data="$WORK/data-$rep-$id"
		mkdir -p "$data"
		export PORTAL_DATA_DIR="$data"
		create_store "$data"
		read -r iw ic < <(timed "$WORK/import.out" "$WORK/ethicsportal" import credentials "$csv")
		grep -q " $N inserted, 0 updated, 0 unchanged, 0 rejected" "$WORK/import.out" ||
			die "the import did not insert every row: $(tail -1 "$WORK/import.out")"
		rm -rf "$data"
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$rep" "$rw" "$rc" "$iw" "$ic" >>"$RESULTS"
		log "rep $rep, ID numbers $id: read $rw s ($rc s CPU), import $iw s ($ic s CPU)"
	done
done

{
	echo "ethicsportal import benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, N=$N, REPS=$REPS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-16s %4s %9s %9s %12s %9s %9s %13s %9s %9s\n' file rep "read s" "read cpu" "read rows/s" "import s" "imp. cpu" "import rows/s" "ratio" "cpu ratio"
	awk -F'\t' -v n="$N" '{
		printf "%-16s %4d %9.2f %9.2f %12.0f %9.2f %9.2f %13.0f %9.1f %9.1f\n", ($1 == 1 ? "with ID numbers" : "no ID numbers"), $2, $3, $4, n / $3, $5, $6, n / $5, $5 / $3, $6 / $4
	}' "$RESULTS"
	echo "ratio = import wall time / read wall time; cpu ratio = import CPU time / read CPU time (same file, same repetition)"
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-import-summary.txt"
