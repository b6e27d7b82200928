#!/usr/bin/env bash
# bench_import.sh [build-dir] — what an import costs per 1,000 items, by
# kind, through POST /api/import: BENCH_IMPORT_ITEMS (default 10,000) SMS
# (SMS Backup & Restore XML), as many MMS (XML, a 2,000-byte image and a
# text part each), vCard cards (two numbers each: a contact row per
# number) and CSV contacts, each file into a fresh user. Prints one line
#   bench_import: items=N per_1000_ms sms=A mms=B cards=C csv_contacts=D
# and one line per kind with its milliseconds and rows stored.
#
# It needs only vaultweb of the build it is given and the web API, which
# has not changed since the import was written: the same script measures an
# older build (the "before" of a comparison) as well as this one. Starts its
# own PostgreSQL cluster ("benchimp", a fresh database) and vaultweb on free
# loopback ports; stops both by PID at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SV_ROOT=$ROOT
. "$ROOT/scripts/lib.sh"
BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
ITEMS=${BENCH_IMPORT_ITEMS:-10000}

VAR=$(mktemp -d /tmp/sv-benchimp.XXXXXX)
pg_port=$(sv_free_port)
web_port=$(sv_free_port "$pg_port")
sv_pg_stop benchimp
sv_pg_start benchimp "$pg_port"
cleanup() {
  sv_stop_bg vaultweb "$VAR"
  sv_pg_stop benchimp
  rm -rf "$VAR"
}
trap cleanup EXIT
db=$(sv_pg_createdb "$(sv_pg_uri benchimp postgres)" bench_import) || exit 1

# room for every file: 10,000 MMS are 20 MB
SMSVAULT_PGURI=$db SV_WEB_PORT=$web_port SV_CONF_EXTRA="[quota]
initial = 1G
user_cap = 4G
capacity = 1T
[web]
threads = 4
upload_body_max = 256M
log_level = warn" sv_conf_write "$VAR/smsvault.conf"
sv_start_bg vaultweb "$VAR" "$BUILD/web/vaultweb" -c "$VAR/smsvault.conf"
sv_wait_for vaultweb 30 curl -fsS -o /dev/null "http://127.0.0.1:$web_port/" || {
  cat "$VAR/log/vaultweb.log"; exit 1; }
URL="http://127.0.0.1:$web_port"

# import <kind> <format> <file> <count wanted> [<or this count>]: a fresh
# user imports the file once; prints its milliseconds (and checks every item
# was stored: a vCard file's count is its cards since the archive counts
# people, its number rows in builds from before that)
import() {
  local kind=$1 fmt=$2 file=$3 want=$4 want_or=${5:-$4} jar=$VAR/cookies.$1 start ms out added
  curl -sS -b "$jar" -c "$jar" -X POST -H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' \
    --data "{\"username\":\"imp$kind\",\"password\":\"benchpass1\"}" "$URL/api/register" >/dev/null
  start=$(date +%s%N)
  out=$(curl -sS -b "$jar" -c "$jar" -X POST -H 'X-Smsvault-Csrf: 1' \
    -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$URL/api/import?format=$fmt")
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  added=$(sed -n 's/.*"imported": *\([0-9]*\).*/\1/p' <<<"$out")
  [ "${added:-0}" -eq "$want" ] || [ "${added:-0}" -eq "$want_or" ] || { echo "bench_import: $kind added ${added:-0} of $want: $out" >&2; exit 1; }
  echo "bench_import: $kind items=$ITEMS rows=$added bytes=$(stat -c %s "$file") ms=$ms" >&2
  echo "$ms"
}

awk -v n="$ITEMS" 'BEGIN {
  printf "<smses count=\"%d\">\n", n
  for (i = 1; i <= n; i++)
    printf "<sms address=\"+86138%08d\" date=\"%d\" body=\"message %d 你好 see you at %d\" />\n",
           i % 997, 1600000000000 + i * 60000, i, i % 24
  print "</smses>" }' >"$VAR/sms.xml"
# one 2,000-byte image, different in every MMS (its first bytes are the number)
head -c 1500 /dev/urandom | base64 -w0 >"$VAR/img.b64"
awk -v n="$ITEMS" -v img="$(cat "$VAR/img.b64")" 'BEGIN {
  printf "<smses count=\"%d\">\n", n
  for (i = 1; i <= n; i++)
    printf "<mms address=\"+86138%08d\" date=\"%d\" sub=\"photo %d\"><parts><part ct=\"application/smil\" text=\"&lt;smil/&gt;\"/><part ct=\"image/jpeg\" cl=\"p%d.jpg\" data=\"%08d%s\"/><part ct=\"text/plain\" text=\"你好 %d\"/></parts></mms>\n",
           i % 997, 1600000000000 + i * 60000, i, i, i, substr(img, 9), i
  print "</smses>" }' >"$VAR/mms.xml"
awk -v n="$ITEMS" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person %d 张\r\nTEL;TYPE=HOME:010%07d\r\nTEL;TYPE=CELL,PREF:138%08d\r\nEND:VCARD\r\n", i, i, i
}' >"$VAR/cards.vcf"
awk -v n="$ITEMS" 'BEGIN {
  print "name,number"
  for (i = 1; i <= n; i++) printf "Person %d,139%08d\n", i, i }' >"$VAR/contacts.csv"

sms=$(import sms xml "$VAR/sms.xml" "$ITEMS")
mms=$(import mms xml "$VAR/mms.xml" "$ITEMS")
cards=$(import cards vcard "$VAR/cards.vcf" "$ITEMS" $(( ITEMS * 2 )))
csv=$(import csv csv "$VAR/contacts.csv" "$ITEMS")
per() { awk -v ms="$1" -v n="$ITEMS" 'BEGIN { printf "%.0f", ms * 1000 / n }'; }
echo "bench_import: items=$ITEMS per_1000_ms sms=$(per "$sms") mms=$(per "$mms") cards=$(per "$cards") csv_contacts=$(per "$csv")"
