#!/usr/bin/env bash
# bench_big.sh [build-dir] — what things cost when the archive is large
# (issue 12; ./smsvault bench --big): BENCH_BIG_USERS users (100,000) with
# BENCH_BIG_SMS SMS (10,000,000), BENCH_BIG_MMS MMS (200,000) and
# BENCH_BIG_CONTACTS contacts (1,000,000), one heavy user among them with
# BENCH_BIG_HEAVY SMS (1,000,000); BENCH_BIG_SCALE=N divides every count by
# N (a quick look). The data comes from bench/gen_big.sql and is charged as
# the store charges it; vaultctl fsck must find nothing. Then, on that
# database, vacuumed and analyzed:
#   * the heavy user's SMS commands through the whole stack (phonesim ->
#     smscsim -> bearerbox -> vaultbox -> back), one at a time, paced:
#     SAVE, LIST, LIST page 500 (again and again, and each right after a
#     SAVE), GET, DEL 100, FIND of a common word, a rare one, a Chinese word
#     (two characters and a rare three), an emoji;
#   * a SAVE load from 400 phones (the heavy user's among them);
#   * the web page for the heavy user: the list, searches, and the XML
#     export of all its SMS (SMS/s, vaultweb's peak RSS before and after).
# The cluster ("big") and its database are kept between runs (generating is
# the slow part; BENCH_BIG_FRESH=1 makes them again); other knobs:
# BENCH_BIG_RUNS=100 (commands per kind: a p99 of 100 is the second
# slowest, of fewer it is the slowest), BENCH_BIG_RATE=10 (commands/s).
# PostgreSQL logs every statement over BENCH_BIG_SLOW_MS (50) ms, each
# checkpoint and each autovacuum run; what of it fell in the measured part
# is summed up at the end, to tell a slow command that waited on the
# database from one that did not; and before the commands, the disk's own
# fdatasync latency (bench/fsync_latency), under which no command's p99
# can fall.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SV_BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
SCALE=${BENCH_BIG_SCALE:-1}
USERS=$(( ${BENCH_BIG_USERS:-100000} / SCALE ))
SMS=$(( ${BENCH_BIG_SMS:-10000000} / SCALE ))
HEAVY=$(( ${BENCH_BIG_HEAVY:-1000000} / SCALE ))
MMS=$(( ${BENCH_BIG_MMS:-200000} / SCALE ))
CONTACTS=$(( ${BENCH_BIG_CONTACTS:-1000000} / SCALE ))
RUNS=${BENCH_BIG_RUNS:-100}
SLOW_MS=${BENCH_BIG_SLOW_MS:-50}
RATE=${BENCH_BIG_RATE:-10}
PASS=bigpass123
HEAVY_PHONE=8613900000000
export SV_SHORTCODE=${SV_SHORTCODE:-10659}

# shellcheck source=scripts/svc/smscsim.sh
source "$ROOT/scripts/svc/smscsim.sh"
# shellcheck source=scripts/svc/bearerbox.sh
source "$ROOT/scripts/svc/bearerbox.sh"
# shellcheck source=scripts/svc/vaultbox.sh
source "$ROOT/scripts/svc/vaultbox.sh"

VAR=$(mktemp -d /tmp/sv-benchbig.XXXXXX)
cleanup() {
    sv_stop_bg vaultweb "$VAR"
    svc_vaultbox_stop "$VAR"
    svc_bearerbox_stop "$VAR"
    svc_smscsim_stop "$VAR"
    sv_pg_stop big
    rm -rf "$VAR"
}
trap cleanup EXIT

echo "bench_big: users=$USERS sms=$SMS heavy=$HEAVY mms=$MMS contacts=$CONTACTS build=$SV_BUILD" \
    "load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
[[ ${BENCH_BIG_FRESH:-0} == 1 ]] && sv_pg_stop big && rm -rf "$(sv_pg_dir big)"
# the server's own account of slow statements, checkpoints and autovacuum
# (a cluster already running keeps its settings: stop it first)
SV_PG_OPTS="${SV_PG_OPTS:-} $(sv_pg_log_opts "$SLOW_MS")" sv_pg_start big "$(sv_free_port)"
PGLOG=$(sv_pg_dir big)/postgres.log
ADMIN=$(sv_pg_uri big postgres)
DB=$(sv_pg_dbconn "$ADMIN" bench_big)
export SMSVAULT_PGURI=$DB
want="$USERS $SMS $HEAVY $MMS $CONTACTS"
if [[ $(cat "$(sv_pg_dir big)/generated" 2>/dev/null) != "$want" ]]; then
    DB=$(sv_pg_createdb "$ADMIN" bench_big) || exit 1
    export SMSVAULT_PGURI=$DB
    "$SV_BUILD/store/vaultctl" migrate >/dev/null
    # one real argon2id hash, for every generated user
    printf '%s\n' "$PASS" | "$SV_BUILD/store/vaultctl" user add big0 >/dev/null
    hash=$(psql "$DB" -qAtX -c "SELECT password_hash FROM users WHERE username = 'big0'")
    psql "$DB" -qAtX -c "DELETE FROM users" >/dev/null
    t0=$(date +%s)
    psql "$DB" -qX -v users="$USERS" -v sms="$SMS" -v heavy="$HEAVY" -v mms="$MMS" -v contacts="$CONTACTS" \
        -v hash="$hash" -f "$ROOT/bench/gen_big.sql" >/dev/null
    echo "bench_big: generated in $(( $(date +%s) - t0 )) s:" \
        "$(psql "$DB" -qAtX -F ' ' -c "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sms),
            (SELECT count(*) FROM mms), (SELECT count(*) FROM contacts),
            pg_size_pretty(pg_database_size(current_database()))") (users sms mms contacts size)"
    echo "$want" >"$(sv_pg_dir big)/generated"
fi
fsck=$("$SV_BUILD/store/vaultctl" fsck 2>&1) || { echo "bench_big: vaultctl fsck: $fsck" >&2; exit 1; }
echo "bench_big: vaultctl fsck: $(tail -n 1 <<<"$fsck")"
# a settled database: right after generating or migrating it, autovacuum
# works through every partition for many minutes, and a measurement taken
# meanwhile is of that (PERF.md); on a settled one this takes seconds
t0=$(date +%s)
psql "$DB" -qX -c "VACUUM (ANALYZE)" >/dev/null
# and what it dirtied written out, not left to a checkpoint in the middle
# of the measurements
psql "$DB" -qX -c "CHECKPOINT" >/dev/null
echo "bench_big: VACUUM (ANALYZE) and CHECKPOINT in $(( $(date +%s) - t0 )) s"

# ---- the SMS path ----
log_from=$(stat -c %s "$PGLOG")   # what the server logs from here on is the measured part's
SV_SMSC_PORT=$(sv_free_port)
SV_SMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT")
SV_BB_ADMIN_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT")
SV_BB_BOX_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT")
SV_WEB_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
export SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT SV_WEB_PORT
export SV_CONF=$VAR/smsvault.conf
SV_CONF_EXTRA="[box]
log_level = warn
dlr_mask = 0
[web]
threads = 4
log_level = warn" sv_conf_write "$SV_CONF"
svc_smscsim_start "$VAR"
svc_bearerbox_start "$VAR"
svc_vaultbox_start "$VAR"
phonesim() { "$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to "$SV_SHORTCODE" "$@"; }
phonesim --from "$HEAVY_PHONE" --expect 1 --timeout 30000 "SPACE" >/dev/null   # warm up

# cmd <label> <template> [expect]: RUNS commands from the heavy user's phone,
# one at a time at RATE/s; latency to the last of <expect> replies
cmd() {
    local out
    out=$(phonesim --load --from-base "$HEAVY_PHONE" --phones 1 --inflight 1 --rate "$RATE" \
        --duration "$(awk -v n="$RUNS" -v r="$RATE" 'BEGIN { printf "%.1f", n / r }')" \
        --template "$2" --expect "${3:-1}" --timeout 30000) || true
    printf '  %-26s %s\n' "$1" "$(sed 's/^load: //; s/ seconds=[^ ]*//; s/ rt_per_s=[^ ]*//' <<<"$out")"
}
# cmd_after <label> <change> <command>: RUNS times <change> (answered, not
# timed), then <command> alone, timed: a command right after its account
# changed, when nothing it remembered holds (LIST page 500 after a SAVE
# lays out the 499 pages before it again: gateway-plugin/core/core_list.c).
# Percentiles as phonesim's (nearest rank).
cmd_after() {
    local i out lat=()
    for ((i = 0; i < RUNS; i++)); do
        phonesim --from "$HEAVY_PHONE" --expect 1 --timeout 30000 "$2 $i" >/dev/null
        out=$(phonesim --load --from-base "$HEAVY_PHONE" --phones 1 --inflight 1 --rate "$RATE" \
            --duration 0.1 --template "$3" --expect 1 --timeout 30000) || true
        lat+=("$(sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' <<<"$out")")
    done
    printf '%s\n' "${lat[@]}" | sort -n | awk -v label="$1" '
        function pct(p) { return v[int(p * (NR - 1) + 0.5) + 1] }
        { v[NR] = $1 }
        END { printf "  %-26s completed=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
                     label, NR, pct(0.5), pct(0.9), pct(0.99), v[NR] }'
}
# the disk's own flush latency: each command below commits before it is
# answered, so its p99 cannot be lower than this one's
"$SV_BUILD/bench/fsync_latency" "$(sv_pg_dir big)" 500 10
echo "== the heavy user's commands by SMS ($RUNS each, $RATE/s)"
cmd "SAVE" "SAVE big %n"
cmd "LIST" "LIST"
cmd "LIST page 500" "LIST 500"
cmd_after "LIST page 500 after a SAVE" "SAVE between" "LIST 500"
cmd "GET (one SMS)" "GET %n"
cmd "DEL 100" "DEL %n00-%n99"
cmd "FIND common word" "FIND see"
cmd "FIND rare word" "FIND zebrafish"
cmd "FIND Chinese (2 chars)" "FIND 开会"
cmd "FIND Chinese rare (3)" "FIND 冰淇淋"
cmd "FIND emoji" "FIND 😀"
echo "== SAVE load, 400 phones, 200 in flight"
load=$(phonesim --load --from-base "$HEAVY_PHONE" --phones 400 --inflight 200 --duration 8 \
    --template "SAVE load %n" --timeout 30000) || true
echo "  ${load#load: }"
svc_vaultbox_stop "$VAR"

# ---- the web page ----
sv_start_bg vaultweb "$VAR" "$SV_BUILD/web/vaultweb" -c "$SV_CONF"
sv_wait_for vaultweb 30 curl -fsS -o /dev/null "http://127.0.0.1:$SV_WEB_PORT/" || {
    cat "$VAR/log/vaultweb.log"; exit 1; }
URL=http://127.0.0.1:$SV_WEB_PORT JAR=$VAR/cookies
curl -fsS -c "$JAR" -H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' \
    --data "{\"username\":\"big1\",\"password\":\"$PASS\"}" "$URL/api/login" >/dev/null
web_pid=$(sv_pid vaultweb "$VAR")
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$web_pid/status"; }
echo 5 >"/proc/$web_pid/clear_refs" 2>/dev/null || true   # the login's argon2id apart
web() { # web <label> <path>: RUNS timed GETs, p50 / p99 / max
    local i t times=()
    for (( i = 0; i < RUNS; i++ )); do
        t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -b "$JAR" "$URL$2")
        [[ ${t%% *} == 200 ]] || { echo "bench_big: $2 answered ${t%% *}" >&2; exit 1; }
        times+=("${t#* }")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v label="$1" '{ v[NR] = $1 * 1000 } END {
        printf "  %-26s n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", label, NR,
            v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR] }'
}
echo "== the heavy user's web page ($RUNS each)"
web "list first page" "/api/sms?limit=50"
web "list deep (keyset)" "/api/sms?limit=50&before=$((HEAVY / 2))"
web "search common word" "/api/sms?limit=50&q=see"
web "search rare word" "/api/sms?limit=50&q=zebrafish"
web "search Chinese (2 chars)" "/api/sms?limit=50&q=%E5%BC%80%E4%BC%9A"
web "search emoji" "/api/sms?limit=50&q=%F0%9F%98%80"
# what the page asks after showing a first page with more than 1,000 matches
RUNS=5 web "count all (asked after)" "/api/sms?count=1"
RUNS=5 web "count common (after)" "/api/sms?count=1&q=see"
RUNS=5 web "count Chinese (after)" "/api/sms?count=1&q=%E5%BC%80%E4%BC%9A"
hwm_before=$(hwm)
t0=$(date +%s%N)
bytes=$(curl -sS -o "$VAR/export.xml" -w '%{size_download}' -b "$JAR" -H 'X-Smsvault-Csrf: 1' \
    -H 'Content-Type: application/json' --data '{"kind":"sms","format":"xml"}' "$URL/api/export")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(psql "$DB" -qAtX -c "SELECT count(*) FROM sms WHERE user_id = md5('sv-big-user-1')::uuid")
# what the file holds: its count and its <sms> lines (all of them: the export is not cut)
said=$(head -c 300 "$VAR/export.xml" | sed -n 's/.*<smses count="\([0-9]*\)".*/\1/p')
lines=$(grep -c '^  <sms ' "$VAR/export.xml" || true)
rm -f "$VAR/export.xml"
echo "  export XML: sms=$n in_file=$lines count_attr=$said bytes=$bytes ms=$ms" \
    "sms_per_s=$(( lines * 1000 / (ms > 0 ? ms : 1) )) vaultweb_hwm_kb before=$hwm_before after=$(hwm)"
# what PostgreSQL saw during the measured part (from log_from on)
echo "== PostgreSQL during the measurements"
echo "  $(sv_pg_log_summary "$PGLOG" "$log_from" "$SLOW_MS" 15)"
echo "bench_big: done load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
