#!/usr/bin/env bash
# bench_web.sh [build-dir] — the management page's API with a large archive:
# one user, BENCH_WEB_ITEMS SMS (default 100,000) imported as an SMS Backup &
# Restore XML file through POST /api/import, then repeated list requests
# (first page, a page deep in the archive by keyset, a search) and the
# account summary, each timed by curl. Prints import throughput, latency
# percentiles per request kind and vaultweb's peak RSS.
#
# Starts its own PostgreSQL cluster ("bench", a fresh database) and vaultweb
# on free loopback ports; stops both by PID at the end. BENCH_WEB_WRAP runs
# vaultweb under a tool, e.g.
#   BENCH_WEB_WRAP="valgrind --tool=massif --massif-out-file=/tmp/massif.out"
# (the reported peak RSS is then the tool's).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SV_ROOT=$ROOT
. "$ROOT/scripts/lib.sh"
BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
ITEMS=${BENCH_WEB_ITEMS:-100000}
REPEAT=${BENCH_WEB_REPEAT:-30}

VAR=$(mktemp -d /tmp/sv-benchweb.XXXXXX)
pg_port=$(sv_free_port)
web_port=$(sv_free_port "$pg_port")
sv_pg_stop bench
sv_pg_start bench "$pg_port"
cleanup() {
  sv_stop_bg vaultweb "$VAR"
  sv_pg_stop bench
  rm -rf "$VAR"
}
trap cleanup EXIT
db=$(sv_pg_createdb "$(sv_pg_uri bench postgres)" bench_web) || exit 1

SMSVAULT_PGURI=$db SV_WEB_PORT=$web_port SV_CONF_EXTRA="[web]
threads = 4
upload_body_max = 256M
log_level = warn" sv_conf_write "$VAR/smsvault.conf"
sv_start_bg vaultweb "$VAR" ${BENCH_WEB_WRAP:-} "$BUILD/web/vaultweb" -c "$VAR/smsvault.conf"
sv_wait_for vaultweb 30 curl -fsS -o /dev/null "http://127.0.0.1:$web_port/" || {
  cat "$VAR/log/vaultweb.log"; exit 1; }

URL="http://127.0.0.1:$web_port"
JAR=$VAR/cookies
api() { # api <method> <path> [curl args...]: JSON API call keeping the session cookie
  local m=$1 p=$2; shift 2
  curl -sS -b "$JAR" -c "$JAR" -X "$m" -H 'X-Smsvault-Csrf: 1' "$@" "$URL$p"
}
api POST /api/register -H 'Content-Type: application/json' \
  --data '{"username":"benchuser","password":"benchpass1"}' >/dev/null
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$(sv_pid vaultweb "$VAR")/status"; }
# Peak RSS so far (registration hashes the password with Argon2id: 12 MiB),
# then reset (clear_refs 5) so that the import's own peak shows.
hwm_register=$(hwm)
echo 5 >"/proc/$(sv_pid vaultweb "$VAR")/clear_refs" 2>/dev/null || true

# An SMS Backup & Restore file: ITEMS messages, Chinese and ASCII text.
xml=$VAR/backup.xml
awk -v n="$ITEMS" 'BEGIN {
  print "<?xml version=\x271.0\x27 encoding=\x27UTF-8\x27 standalone=\x27yes\x27 ?>"
  printf "<smses count=\"%d\">\n", n
  for (i = 1; i <= n; i++)
    printf "<sms protocol=\"0\" address=\"+86138%08d\" date=\"%d\" type=\"1\" body=\"message %d 你好 see you at %d\" read=\"1\" />\n",
           i % 997, 1600000000000 + i * 60000, i, i % 24
  print "</smses>"
}' >"$xml"

start=$(date +%s%N)
out=$(api POST "/api/import?format=xml" -H 'Content-Type: application/octet-stream' --data-binary "@$xml")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
added=$(sed -n 's/.*"imported": *\([0-9]*\).*/\1/p' <<<"$out")
[ "${added:-0}" -eq "$ITEMS" ] || { echo "bench_web: import added ${added:-0} of $ITEMS: $out" >&2; exit 1; }
echo "bench_web: items=$ITEMS xml_bytes=$(stat -c %s "$xml") import_ms=$ms import_per_s=$(( ITEMS * 1000 / (ms > 0 ? ms : 1) ))"
echo "bench_web: vaultweb_hwm_kb register=$hwm_register import=$(hwm)"

# time_req <label> <path>: REPEAT timed GETs, prints p50 / p90 / max in ms.
time_req() {
  local label=$1 path=$2 i t
  local -a times=()
  for (( i = 0; i < REPEAT; i++ )); do
    t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -b "$JAR" "$URL$path")
    [ "${t%% *}" = 200 ] || { echo "bench_web: $path answered ${t%% *}" >&2; exit 1; }
    times+=("${t#* }")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" '
    { v[NR] = $1 * 1000 }
    END { printf "%-22s n=%d p50_ms=%.2f p90_ms=%.2f max_ms=%.2f\n", label, NR,
          v[int(NR * 0.5 + 0.5)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}
time_req "list first page" "/api/sms?limit=50"
time_req "list deep (keyset)" "/api/sms?limit=50&before=$(( ITEMS / 2 ))"
time_req "list last page" "/api/sms?limit=50&before=60"
time_req "search one word" "/api/sms?limit=50&q=see"
time_req "search rare" "/api/sms?limit=50&q=message%20$(( ITEMS - 7 ))%20"
time_req "account summary" "/api/me"
hwm_rest=$(hwm)
echo "bench_web: vaultweb_hwm_kb=$(( hwm_rest > hwm_register ? hwm_rest : hwm_register ))"
