#!/usr/bin/env bash
# bench/pages.sh: the server time of the public pages, each beside the JSON
# API call that reads the same data, measured in the same run.
#
#   bench/pages.sh                        # DURATION=5s ROUNDS=2, pinned
#   DURATION=2s ROUNDS=1 bench/pages.sh   # a quick run
#   bench/pages.sh --unpinned             # server and wrk share every core (PIN=0)
#
# Builds the portal, serves `serve --demo` (the demo data set: 2,000 cases
# and their credentials) on a loopback port and, for every public page,
# runs wrk against the page and then against its baseline: the JSON API
# call that answers from the same data (GET /cases?q= beside
# GET /api/v1/cases?q=, GET /cases/{id} beside GET /api/v1/cases/{id},
# POST /verify beside POST /api/v1/verifications, ...). Pages without data
# of their own (the forms, /about, an error page) stand beside
# GET /api/v1/taxonomy, the API's cheapest read. The ratio page/API of
# requests/s says what rendering the page costs over the API's JSON.
# The server's CPU time per request (user + system, /proc/PID/stat) is
# printed too: unlike requests/s it does not depend on how much of its core
# the server got on a shared machine.
#
# Pinned (the default), the server runs on core SERVER_CPU with
# GOMAXPROCS=1 and wrk on core LOAD_CPU, as in bench/verify.sh.
#
# Environment (all optional):
#   DURATION     length of each measured wrk run (default 5s)
#   ROUNDS       rounds; each runs every page and its baseline in turn (default 2)
#   WARMUP       unreported warm-up run of each URL before the first round (default 1s; 0 to skip)
#   CONNS        wrk connections (default 16); THREADS wrk threads (default 1)
#   PIN          1 (default): pin as above; 0: unpinned
#   SERVER_CPU   core of the server when pinned (default 0)
#   LOAD_CPU     core of wrk when pinned (default 1)
#   BENCH_CACHE  where the summary is kept (default ${TMPDIR:-/tmp}/ethicsportal-bench)
#   KEEP         1: keep the temporary build and data directory
#
# Only 127.0.0.1 is ever targeted; the server is stopped on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--unpinned) PIN=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
BENCH_CACHE=${BENCH_CACHE:-${TMPDIR:-/tmp}/ethicsportal-bench}
KEEP=${KEEP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

need_wrk

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ethicsportal-pages.XXXXXX")
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

# --- the portal with the demo data ----------------------------------------------
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
PORTAL_DATA_DIR="$WORK/data" PORTAL_ADDR="127.0.0.1:$PORT" PORTAL_BASE_URL="$BASE" PORTAL_LOG_LEVEL=warn \
	PORTAL_RATE_SEARCH=1000000/s PORTAL_RATE_VERIFY=1000000/s PORTAL_RATE_LOGIN=1000000/s \
	"${SERVE[@]}" "$WORK/ethicsportal" serve --demo >"$WORK/portal.log" 2>&1 &
PID=$!
PIDS+=("$PID")
log "loading the demo data set (serve --demo on an empty store)"
wait_url "$PID" "$BASE/readyz" 3000
# serve --demo rebuilds the index at once but still delivers the load's
# outbox messages afterwards (idempotent upserts, 2,000 and more): that
# work would be counted in the server's CPU time, so wait for it.
log "waiting for the outbox to drain"
for i in $(seq 1200); do
	pending=$(curl -fsS "$BASE/metrics" | awk '$1 == "portal_outbox_pending" { print $2 }')
	[ "${pending:-1}" = 0 ] && break
	kill -0 "$PID" 2>/dev/null || die "the portal exited (see $WORK/portal.log)"
	sleep 0.5
done
[ "${pending:-1}" = 0 ] || die "the outbox still holds $pending messages after 10 minutes"

# --- what the pages show ------------------------------------------------------------
urlenc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
json_field() { python3 -c 'import sys, json; d = json.load(sys.stdin); print(eval("d" + sys.argv[1]))' "$1"; }
Q=$(urlenc "体罚")
QT=$(urlenc "體罰")
DISTRICT=$(urlenc "朝阳区")
CASE_ID=$(curl -fsS "$BASE/api/v1/cases?q=$Q&per_page=1" | json_field '["hits"][0]["id"]')
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"demo-editor","password":"demo-password-2026"}' \
	"$BASE/api/v1/auth/login" | json_field '["access_token"]')
WITHDRAWN_ID=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/admin/cases?status=withdrawn&per_page=1" |
	python3 -c 'import sys, json; d = json.load(sys.stdin); print((d.get("cases") or d.get("items") or d.get("hits"))[0]["id"])')
IFS=' ' read -r CERT_NO CERT_NAME <<<"20241117900000020 何敏" # app.DemoRevokedExample
VERIFY_JSON="{\"certificate_no\":\"$CERT_NO\",\"name\":\"$CERT_NAME\"}"
VERIFY_FORM="certificate_no=$CERT_NO&name=$(urlenc "$CERT_NAME")"
RECEIPT=$(curl -fsS -H 'Content-Type: application/json' -d "$VERIFY_JSON" "$BASE/api/v1/verifications" | json_field '["receipt"]')
RECEIPT_JSON="{\"receipt\":\"$RECEIPT\"}"
RECEIPT_FORM="receipt=$(urlenc "$RECEIPT")"
log "case $CASE_ID, withdrawn case $WITHDRAWN_ID, certificate $CERT_NO"

# The pages: label, method, path, body (form), then the baseline: method,
# path, body (JSON). Fields are separated by '|'.
PAGES=(
	"home|GET|/||GET|/api/v1/cases?sort=newest&per_page=10|"
	"search|GET|/cases?q=$Q||GET|/api/v1/cases?q=$Q|"
	"search+district|GET|/cases?q=$QT&district=$DISTRICT||GET|/api/v1/cases?q=$QT&district=$DISTRICT|"
	"case|GET|/cases/$CASE_ID||GET|/api/v1/cases/$CASE_ID|"
	"withdrawn(410)|GET|/cases/$WITHDRAWN_ID||GET|/api/v1/cases/$WITHDRAWN_ID|"
	"verify-form|GET|/verify||GET|/api/v1/taxonomy|"
	"verify-result|POST|/verify|$VERIFY_FORM|POST|/api/v1/verifications|$VERIFY_JSON"
	"receipt|POST|/verify/receipt|$RECEIPT_FORM|POST|/api/v1/receipts/check|$RECEIPT_JSON"
	"receipt-check-form|GET|/receipts/check||GET|/api/v1/taxonomy|"
	"receipt-check|POST|/receipts/check|$RECEIPT_FORM|POST|/api/v1/receipts/check|$RECEIPT_JSON"
	"about|GET|/about||GET|/api/v1/taxonomy|"
	"about-method|GET|/about/method||GET|/api/v1/taxonomy|"
	"error(404)|GET|/no-such-page||GET|/api/v1/no-such-thing|"
)

# Sanity: each page answers as a page, each baseline as JSON.
for entry in "${PAGES[@]}"; do
	IFS='|' read -r label m path body bm bpath bbody <<<"$entry"
	args=(-sS -o /dev/null -w '%{http_code} %{content_type}')
	if [ "$m" = POST ]; then args+=(-H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$body"); fi
	got=$(curl "${args[@]}" -H 'Accept: text/html' "$BASE$path")
	bargs=(-sS -o /dev/null -w '%{http_code} %{content_type}')
	if [ "$bm" = POST ]; then bargs+=(-H 'Content-Type: application/json' --data-raw "$bbody"); fi
	bgot=$(curl "${bargs[@]}" "$BASE$bpath")
	log "$label: page $got; API $bgot"
	case $got in *text/html*) ;; *) die "$label: $path is not a page ($got)" ;; esac
done

CLK_TCK=$(getconf CLK_TCK)
# run_wrk name method path body ctype accept duration: wrk's report into
# $WORK/wrk-name.txt, its BENCH line with the server's CPU time into
# $WORK/bench-name.txt.
run_wrk() {
	local name=$1 m=$2 path=$3 body=$4 ctype=$5 accept=$6 dur=$7 c0 c1
	c0=$(cpu_ticks "$PID")
	BENCH_METHOD="$m" BENCH_BODY="$body" BENCH_CTYPE="$ctype" BENCH_ACCEPT="$accept" \
		"${LOAD[@]}" wrk -c "$CONNS" -t "$THREADS" -d "$dur" --latency -s bench/pages.lua "$BASE$path" >"$WORK/wrk-$name.txt"
	c1=$(cpu_ticks "$PID")
	grep '^BENCH ' "$WORK/wrk-$name.txt" >"$WORK/bench-$name.tmp" || { cat "$WORK/wrk-$name.txt" >&2; die "no BENCH line from wrk ($name)"; }
	awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" '{
		n = $2; sub("requests=", "", n)
		printf "%s cpu_us_per_req=%.1f\n", $0, (n > 0 ? t * 1e6 / hz / n : 0)
	}' "$WORK/bench-$name.tmp" >"$WORK/bench-$name.txt"
}
run_pair() { # label round duration
	local label=$1 r=$2 dur=$3 entry m path body bm bpath bbody ctype=""
	for entry in "${PAGES[@]}"; do
		[ "${entry%%|*}" = "$label" ] && break
	done
	IFS='|' read -r label m path body bm bpath bbody <<<"$entry"
	if [ "$m" = POST ]; then ctype=application/x-www-form-urlencoded; fi
	run_wrk "page-$label-$r" "$m" "$path" "$body" "$ctype" "text/html,application/xhtml+xml" "$dur"
	ctype=""
	if [ "$bm" = POST ]; then ctype=application/json; fi
	run_wrk "api-$label-$r" "$bm" "$bpath" "$bbody" "$ctype" "application/json" "$dur"
}

LABELS=()
for entry in "${PAGES[@]}"; do LABELS+=("${entry%%|*}"); done
if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	log "warm-up, $WARMUP per URL"
	for l in "${LABELS[@]}"; do run_pair "$l" warmup "$WARMUP"; done
fi
for r in $(seq "$ROUNDS"); do
	log "round $r of $ROUNDS: $DURATION per URL, -c $CONNS -t $THREADS"
	for l in "${LABELS[@]}"; do run_pair "$l" "$r" "$DURATION"; done
done

# --- report ---------------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
MODE="unpinned: server and wrk share $(nproc) cores"
if [ "$PIN" = 1 ]; then MODE="pinned: server on core $SERVER_CPU with GOMAXPROCS=1, wrk on core $LOAD_CPU"; fi
{
	echo "ethicsportal page benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "$MODE; DURATION=$DURATION ROUNDS=$ROUNDS -c $CONNS -t $THREADS; serve --demo ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "page: the HTML page; API: its JSON baseline; p50/p99 in ms (median over rounds); rps: mean over rounds;"
	echo "ratio: page rps / API rps (median of the rounds); CPU: server CPU microseconds per request (mean)"
	printf '%-20s %9s %7s %7s %8s %7s %9s %7s %7s %8s %7s %6s\n' page "page rps" p50 p99 "CPU us" bytes "API rps" p50 p99 "CPU us" bytes ratio
	for l in "${LABELS[@]}"; do
		prps=() pp50=() pp99=() pcpu=() arps=() ap50=() ap99=() acpu=() ratios=() pnon=0 anon=0
		for r in $(seq "$ROUNDS"); do
			prps+=("$(field "page-$l-$r" rps)")
			pp50+=("$(field "page-$l-$r" p50_us)")
			pp99+=("$(field "page-$l-$r" p99_us)")
			pcpu+=("$(field "page-$l-$r" cpu_us_per_req)")
			arps+=("$(field "api-$l-$r" rps)")
			ap50+=("$(field "api-$l-$r" p50_us)")
			ap99+=("$(field "api-$l-$r" p99_us)")
			acpu+=("$(field "api-$l-$r" cpu_us_per_req)")
			ratios+=("$(awk -v a="$(field "page-$l-$r" rps)" -v b="$(field "api-$l-$r" rps)" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')")
			pnon=$((pnon + $(field "page-$l-$r" non2xx)))
			anon=$((anon + $(field "api-$l-$r" non2xx)))
		done
		printf '%-20s %9s %7s %7s %8s %7s %9s %7s %7s %8s %7s %6s%s\n' "$l" \
			"$(mean "${prps[@]}")" "$(ms "$(median "${pp50[@]}")")" "$(ms "$(median "${pp99[@]}")")" "$(mean "${pcpu[@]}")" "$(field "page-$l-1" bytes_per_req)" \
			"$(mean "${arps[@]}")" "$(ms "$(median "${ap50[@]}")")" "$(ms "$(median "${ap99[@]}")")" "$(mean "${acpu[@]}")" "$(field "api-$l-1" bytes_per_req)" \
			"$(median "${ratios[@]}")" "$(if [ $((pnon + anon)) -gt 0 ]; then echo "  (non-2xx: page $pnon, API $anon)"; fi)"
	done
} | tee "$WORK/summary.txt"
mkdir -p "$BENCH_CACHE"
cp "$WORK/summary.txt" "$BENCH_CACHE/last-pages-summary.txt"
