# bench/lib.sh: the shell helpers the benchmark scripts share. Sourced, not
# run: `. "$(dirname "$0")/lib.sh"`. The caller sets WORK (its temporary
# directory) before calling anything that names it, and may set TAKEN_PORT
# (space-separated ports already handed out).

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# stop_pid pid: SIGTERM, then wait for it (it is the caller's child).
stop_pid() {
	local pid=$1
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}

# free_port: a loopback port nothing answers on, and not in TAKEN_PORT.
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		case " ${TAKEN_PORT:-} " in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_url pid url [tries]: until url answers 2xx (every 0.1 s, 600 tries by
# default), or the process dies.
wait_url() {
	local pid=$1 url=$2 tries=${3:-600} i
	for i in $(seq "$tries"); do
		kill -0 "$pid" 2>/dev/null || die "the process for $url exited (see $WORK/*.log)"
		if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "no answer from $url after $((tries / 10))s"
}

# wait_healthz pid port: wait_url on the portal's /healthz, for 30 s.
wait_healthz() { wait_url "$1" "http://127.0.0.1:$2/healthz" 300; }

# cpu_ticks pid: the process's user + system CPU time, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# field name key: the value of key= on the BENCH line in $WORK/bench-<name>.txt.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$WORK/bench-$1.txt"; }

# need_wrk installs wrk from Debian's packages when it is missing.
need_wrk() {
	command -v wrk >/dev/null 2>&1 && return 0
	log "installing wrk"
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	$sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
	command -v wrk >/dev/null 2>&1 || die "could not install wrk"
}

# pin_commands sets SERVE and LOAD, the command prefixes that pin the
# server to SERVER_CPU with GOMAXPROCS=1 and the load generator to
# LOAD_CPU, when PIN=1; empty otherwise.
pin_commands() {
	SERVE=()
	LOAD=()
	[ "$PIN" = 1 ] || return 0
	command -v taskset >/dev/null 2>&1 || die "taskset is needed to pin (or run with PIN=0)"
	[ "$(nproc)" -ge 2 ] || die "pinning needs 2 cores (or run with PIN=0)"
	SERVE=(taskset -c "$SERVER_CPU" env GOMAXPROCS=1)
	LOAD=(taskset -c "$LOAD_CPU")
}
