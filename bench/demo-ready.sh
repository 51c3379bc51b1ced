#!/usr/bin/env bash
# bench/demo-ready.sh: how long `ethicsportal serve --demo` takes to be
# ready on an empty data dir (the demo data set loaded, /readyz answering
# 200), beside a baseline measured in the same run.
#
#   bench/demo-ready.sh                       # REPS=5
#   BEFORE_REV=main bench/demo-ready.sh       # also the portal of another revision
#
# For each of REPS repetitions it times, from the start of the process to
# the first 200 from /readyz (polled every 10 ms):
#   plain  `serve` on an empty data dir: creating the store and its keys
#          (the baseline: what loading no data costs)
#   demo   `serve --demo` on an empty data dir: the same plus the demo data
#          set (credentials, accounts, cases, holders)
#   before `serve --demo` of BEFORE_REV, when set
# and prints each wall time, with the CPU time (user + system) the process
# had used by then, and the medians, with demo - plain: the load itself.
# The CPU time moves less than the wall time when other work shares the
# machine. Nothing is pinned: starting the demo is a one-off.
#
# Environment (all optional):
#   REPS        repetitions (default 5)
#   BEFORE_REV  a git revision whose serve --demo is timed too
#   KEEP        1: keep the temporary build and data directories
set -euo pipefail

if [ $# -gt 0 ]; then # settings come from the environment only
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	case $1 in -h | --help) exit 0 ;; *) exit 2 ;; esac
fi

REPS=${REPS:-5}
BEFORE_REV=${BEFORE_REV:-}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'demo-ready.sh: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-demo.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building into $WORK"
go build -o "$WORK/ethicsportal" .
if [ -n "$BEFORE_REV" ]; then
	mkdir "$WORK/before-src"
	git archive "$BEFORE_REV" | tar -x -C "$WORK/before-src"
	(cd "$WORK/before-src" && go build -o "$WORK/ethicsportal-before" .)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

TCK=$(getconf CLK_TCK)

# ready BINARY ARGS...: seconds from start to the first 200 of /readyz on a
# fresh data dir, and the CPU seconds the process had used by then.
ready() {
	local bin=$1; shift
	local dir port start end
	dir=$(mktemp -d "$WORK/data.XXXXXX")
	port=$(free_port)
	start=$(date +%s.%N)
	PORTAL_DATA_DIR="$dir" PORTAL_LOG_LEVEL=warn "$bin" serve --addr "127.0.0.1:$port" "$@" >"$dir/log" 2>&1 &
	PID=$!
	until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do
		kill -0 "$PID" 2>/dev/null || die "$bin serve $* exited: $(tail -5 "$dir/log")"
		sleep 0.01
	done
	end=$(date +%s.%N)
	local cpu
	cpu=$(awk -v t="$TCK" '{printf "%.3f", ($14 + $15) / t}' "/proc/$PID/stat")
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
	printf '%.3f %s\n' "$(echo "$end - $start" | bc -l)" "$cpu"
}

median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

declare -A wall cpu
runs=(plain demo)
[ -n "$BEFORE_REV" ] && runs+=(before)
for rep in $(seq "$REPS"); do
	for run in "${runs[@]}"; do
		case $run in
		plain) r=$(ready "$WORK/ethicsportal") ;;
		demo) r=$(ready "$WORK/ethicsportal" --demo) ;;
		before) r=$(ready "$WORK/ethicsportal-before" --demo) ;;
		esac
		read -r w c <<<"$r"
		wall[$run]+="$w "
		cpu[$run]+="$c "
		printf '%-6s rep %d: %s s wall, %s s CPU\n' "$run" "$rep" "$w" "$c"
	done
done
echo
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
for run in "${runs[@]}"; do
	printf '%-7s median %s s wall, %s s CPU\n' "$run" "$(med "${wall[$run]}")" "$(med "${cpu[$run]}")"
done
printf 'load    demo - plain = %.3f s wall, %.3f s CPU\n' \
	"$(echo "$(med "${wall[demo]}") - $(med "${wall[plain]}")" | bc -l)" \
	"$(echo "$(med "${cpu[demo]}") - $(med "${cpu[plain]}")" | bc -l)"
