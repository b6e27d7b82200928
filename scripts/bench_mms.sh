#!/usr/bin/env bash
# bench_mms.sh [build-dir] — vaultmms's upload figures (issue 9): DeliverReq
# of a BENCH_MMS_KB (300) KB MMS archived per second, and vaultmms's peak
# RSS (VmHWM) meanwhile. An MMSC's DeliverReq (the 3GPP example's shape:
# SOAP envelope and a multipart/related MM of a SMIL, a JPEG of random bytes
# in base64 and a text) is posted BENCH_MMS_COUNT (400) times, each with its
# own TransactionID, BENCH_MMS_PARALLEL (8) at a time, by curl with the
# shipped [mmsc.sim] credentials, from one bound phone. Every one must be
# answered 1000 and stored: the figure is stored MMS per second of the whole
# run (commit before answer: the answer is the proof).
#
# Its own stack: a private PostgreSQL cluster ("bench", scripts/lib.sh) on a
# free port, vaultweb (to register the user and bind the phone by its
# texted code, read from the outbox: no SMS path runs here) and vaultmms on
# free loopback ports in a temp dir; all stopped at the end. The "Saved as"
# replies stay queued in the outbox (no vaultbox): the figure is vaultmms's.
# Last line: bench: mms_deliverreq_per_s=… (300 KB) vaultmms_rss_mb=…
# Use a build without sanitizers for figures (see scripts/bench.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SV_ROOT=$ROOT
. "$ROOT/scripts/lib.sh"
export SV_BUILD
SV_BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
. "$ROOT/scripts/svc/vaultmms.sh"
COUNT=${BENCH_MMS_COUNT:-400}
KB=${BENCH_MMS_KB:-300}
PARALLEL=${BENCH_MMS_PARALLEL:-8}
PHONE=8613900009999

VAR=$(mktemp -d /tmp/sv-benchmms.XXXXXX)
pg_port=$(sv_free_port)
SV_WEB_PORT=$(sv_free_port "$pg_port")
SV_MMS_PORT=$(sv_free_port "$pg_port" "$SV_WEB_PORT")
export SV_WEB_PORT SV_MMS_PORT
sv_pg_stop bench
sv_pg_start bench "$pg_port"
cleanup() {
  svc_vaultmms_stop "$VAR"
  sv_stop_bg vaultweb "$VAR"
  sv_pg_stop bench
  rm -rf "$VAR"
}
trap cleanup EXIT
SMSVAULT_PGURI=$(sv_pg_createdb "$(sv_pg_uri bench postgres)" bench_mms) || exit 1
export SMSVAULT_PGURI SV_CONF=$VAR/smsvault.conf
# room for every MMS of the run in one account
SV_CONF_EXTRA="[quota]
user_cap = 64G
capacity = 1T
[web]
log_level = warn
[mms]
log_level = warn" sv_conf_write "$SV_CONF"
sv_start_bg vaultweb "$VAR" "$SV_BUILD/web/vaultweb" -c "$SV_CONF"
URL=http://127.0.0.1:$SV_WEB_PORT
sv_wait_for vaultweb 30 curl -fsS -o /dev/null "$URL/" || { cat "$VAR/log/vaultweb.log"; exit 1; }
svc_vaultmms_start "$VAR" >/dev/null

# the user and the phone, bound through the page: its code is read from the outbox
JAR=$VAR/cookies
api() { curl -sS -f -b "$JAR" -c "$JAR" -H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' "$@"; }
api --data '{"username":"benchmms","password":"benchpass1"}' "$URL/api/register" >/dev/null
api --data "{\"msisdn\":\"+$PHONE\"}" "$URL/api/phone/start" >/dev/null
code=$(psql -X -tA "$SMSVAULT_PGURI" -c "SELECT text FROM outbox ORDER BY id DESC LIMIT 1" | grep -o '[0-9]\{6\}' | head -n 1)
api --data "{\"msisdn\":\"+$PHONE\",\"code\":\"$code\"}" "$URL/api/phone/confirm" >/dev/null ||
  { echo "bench_mms: the phone could not be bound" >&2; exit 1; }

# the request: a head with the TransactionID (@TID@), the MM shared by all
user=$(sv_conf_get "$SV_CONF" mmsc.sim incoming_username)
pass=$(sv_conf_get "$SV_CONF" mmsc.sim incoming_password)
ns=http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4
printf -- '--outer\r\nContent-Type: text/xml; charset="utf-8"\r\nContent-ID: <soap>\r\n\r\n<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><mm7:TransactionID xmlns:mm7="%s" env:mustUnderstand="1">@TID@</mm7:TransactionID></env:Header><env:Body><mm7:DeliverReq xmlns:mm7="%s"><mm7:MM7Version>6.8.0</mm7:MM7Version><mm7:Sender><mm7:Number>+%s</mm7:Number></mm7:Sender><mm7:Recipients><mm7:To><mm7:ShortCode>10659</mm7:ShortCode></mm7:To></mm7:Recipients><mm7:TimeStamp>2026-12-01T10:00:00Z</mm7:TimeStamp><mm7:Subject>bench @TID@</mm7:Subject><mm7:Content href="cid:mms"/></mm7:DeliverReq></env:Body></env:Envelope>\r\n' \
  "$ns" "$ns" "$PHONE" >"$VAR/head"
{
  printf -- '--outer\r\nContent-Type: multipart/related; boundary="inner"; type="application/smil"; start="<smil>"\r\nContent-ID: <mms>\r\n\r\n'
  printf -- '--inner\r\nContent-Type: application/smil\r\nContent-ID: <smil>\r\n\r\n<smil><body><par><img src="cid:img"/><text src="cid:txt"/></par></body></smil>\r\n'
  printf -- '--inner\r\nContent-Type: image/jpeg\r\nContent-ID: <img>\r\nContent-Location: photo.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  head -c $((KB * 1024)) /dev/urandom | base64 -w 76 | sed 's/$/\r/'
  printf -- '--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-ID: <txt>\r\n\r\nGreetings from the bench\r\n--inner--\r\n--outer--\r\n'
} >"$VAR/mm"

pid=$(sv_pid vaultmms "$VAR")
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
export VAR user pass SV_MMS_PORT
start=$(date +%s%N)
seq 1 "$COUNT" | xargs -P "$PARALLEL" -I{} sh -c '
  { sed "s/@TID@/bench-$1/g" "$VAR/head"; cat "$VAR/mm"; } |
  curl -sS -o /dev/null -w "%{http_code}\n" -u "$user:$pass" -H "SOAPAction: \"\"" -H "Expect:" \
    -H "Content-Type: multipart/related; boundary=\"outer\"; type=\"text/xml\"; start=\"<soap>\"" \
    --data-binary @- "http://127.0.0.1:$SV_MMS_PORT/mm7/sim"' sh {} >"$VAR/codes" || true
ms=$(( ($(date +%s%N) - start) / 1000000 ))
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
stored=$(psql -X -tA "$SMSVAULT_PGURI" -c "SELECT count(*) FROM mms")
answered=$(grep -c '^200$' "$VAR/codes" || true)
echo "bench_mms: count=$COUNT parallel=$PARALLEL answered_200=$answered stored=$stored ms=$ms build=$SV_BUILD"
[[ $stored == "$COUNT" && $answered == "$COUNT" ]] ||
  { echo "bench_mms: not every DeliverReq was stored (log: $VAR/log/vaultmms.log)" >&2; tail -5 "$VAR/log/vaultmms.log" >&2; exit 1; }
awk -v n="$stored" -v ms="$ms" -v kb="$KB" -v h="${hwm:-0}" 'BEGIN {
  printf "bench: mms_deliverreq_per_s=%.1f (%d KB) vaultmms_rss_mb=%.1f\n", n * 1000 / (ms > 0 ? ms : 1), kb, h / 1024 }'
