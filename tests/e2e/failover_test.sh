#!/usr/bin/env bash
# failover_test.sh <build-dir> [phones saves uploads] — the database as a
# cluster (docs/HA.md): pg_auto_failover on this machine (scripts/pgha.sh: a
# monitor, a primary and two standbys, commits synchronous to one of them),
# vaultbox and vaultweb on a multi-host connection string with
# target_session_attrs=read-write. Under a load of tagged SAVEs from several
# phones (each SAVE sent once the reply to the one before came: a reply is
# the acknowledgement) and of backup uploads from two web users (each
# retried until it is answered 200), the primary's machine dies: its keeper
# and its PostgreSQL are killed -9 at once. Asserts that the monitor
# promotes a standby; that every acknowledged SAVE and upload is stored,
# each exactly once (0 lost, 0 duplicated), every phone got every reply;
# that `vaultctl fsck` is clean on the new primary; that vaultbox
# reconnected there (its log names it) and vaultweb answered uploads from
# there. Prints the time from the
# kill until the new primary took writes and until the first SAVE and the
# first upload were committed there again.
#
# Skips (exit 77) when pg_auto_failover cannot be installed. Runs its own
# cluster (sv_ha_create), not the test cluster of ./smsvault test; free
# loopback ports, a temp dir; the teardown of tests/e2e/lib.sh stops what it
# started and fails on ERROR/PANIC in our logs but for the lines the outage
# causes (e2e_allow_log below).
set -euo pipefail

BUILD=$(cd "${1:?usage: failover_test.sh <build-dir> [phones saves uploads]}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PHONES=${2:-8} SAVES=${3:-25} UPLOADS=${4:-20}

source "$ROOT/tests/e2e/lib.sh"
e2e_ha_or_skip
e2e_begin failover-e2e
e2e_ports
t=$SECONDS
e2e_ha_stack fo
echo "e2e: cluster up in $((SECONDS - t)) s: $(sv_ha_states "$HA" | paste -sd, -)"
e2e_conf "[box]
log_level = info"
# each connection attempt while no node takes writes (the outage itself)
e2e_allow_log 'store: connect-failed '

fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

first=$(sv_ha_primary "$HA")
[[ -n $first ]] || fail "no primary"
e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultweb
[[ $(sql "SELECT inet_server_port()") == $(cat "$(sv_ha_dir "$HA")/$first.port") ]] || fail "not connected to the primary"

ph_of() { echo $((8613500000000 + $1)); }
for i in $(seq 1 "$PHONES"); do
    e2e_expect "$(ph_of "$i")" "REG fo$i pass1234" "Welcome fo$i!" >/dev/null
done
for u in 1 2; do e2e_web_register "$VAR/web$u.jar" "foweb$u"; done
echo "e2e: $PHONES phones and 2 web users registered on $first"

# uploads <u>: backup files of one SMS each, one after another until the
# phones are done ($VAR/stop) and at least UPLOADS were sent, so that the
# uploads span the failover; each sent until answered 200
# (e2e_web_upload). Writes the number of 200s to $VAR/acked.<u>, the tries
# to $VAR/tries.<u>.
uploads() {
    local u=$1 k=0 n tries=0
    while [[ ! -e $VAR/stop ]] || ((k < UPLOADS)); do
        k=$((k + 1))
        e2e_backup_sms "$VAR/up$u.xml" "fo web$u $k" $((1700000000000 + k * 1000))
        n=$(e2e_web_upload "$VAR/web$u.jar" "$VAR/up$u.xml" 60) || { echo "web $u upload $k: no 200 in 60 s" >&2; return 1; }
        tries=$((tries + n))
        sleep 0.2   # a web user's pace
    done
    echo "$k" >"$VAR/acked.$u"
    echo "$tries" >"$VAR/tries.$u"
}

phone_pids=() web_pids=()
for i in $(seq 1 "$PHONES"); do
    e2e_saves "$(ph_of "$i")" fo 1 "$SAVES" "$VAR/dups.$i" &
    phone_pids+=($!)
    e2e_bg $!
done
for u in 1 2; do
    uploads "$u" &
    web_pids+=($!)
    e2e_bg $!
done
total=$((PHONES * SAVES))
deadline=$((SECONDS + 60))
until (($(sql "SELECT count(*) FROM sms WHERE body LIKE 'fo %' AND source = 'sms'") >= total / 3 &&
    $(sql "SELECT count(*) FROM sms WHERE body LIKE 'fo web%'") >= 10)); do
    ((SECONDS < deadline)) || fail "load did not start"
    sleep 0.05
done

# --- the primary's machine dies
at=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'fo %' AND source = 'sms'")
sv_ha_kill "$HA" "$first"
# taken after the kill (SIGKILL is sv_ha_kill's last step but for removing
# pid files): whatever is committed later than this is on the new primary
t_kill=$(date +%s.%N)
# the database takes writes again when libpq finds a read-write node
until psql -X -q "$SMSVAULT_PGURI" -c "SELECT 1" >/dev/null 2>&1; do
    sleep 0.05
done
t_db=$(date +%s.%N)
for p in "${phone_pids[@]}"; do
    wait "$p" || fail "a phone missed a reply across the failover"
done
touch "$VAR/stop"
for p in "${web_pids[@]}"; do
    wait "$p" || fail "a web user's upload was not answered across the failover"
done
second=$(sv_ha_primary "$HA")
[[ -n $second && $second != "$first" ]] || fail "primary after the kill: '$second' (was $first)"

# --- what was acknowledged is there, once
n=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'fo %' AND source = 'sms'")
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'fo %' AND source = 'sms'")
lost=$((total - d)) dup=$((n - d))
acked_web=$(($(cat "$VAR/acked.1") + $(cat "$VAR/acked.2")))
wn=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'fo web%'")
wd=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'fo web%'")
lost_web=$((acked_web - wd)) dup_web=$((wn - wd))
# a COMMIT whose answer the kill took, though it had committed (on a standby
# too: synchronous): vaultbox runs the batch again, store_mo_seen finds the MO
lost_answers=$(grep -c "vaultbox: mo-duplicate" "$VAR/log/vaultbox.log" || true)
dup_replies=$({ cat "$VAR"/dups.* 2>/dev/null || true; } | wc -l)
fsck=$("$BUILD/store/vaultctl" fsck 2>&1) || fail "vaultctl fsck on the new primary: $fsck"
grep -q "all consistent" <<<"$fsck" || fail "fsck: $fsck"
new_port=$(cat "$(sv_ha_dir "$HA")/$second.port")
[[ $(sql "SELECT inet_server_port()") == "$new_port" ]] || fail "the connection string did not find $second"
grep -q "store: reconnected host=127.0.0.1 port=$new_port" "$VAR/log/vaultbox.log" || fail "vaultbox did not reconnect to $second"
[[ $(psql -X -tA "$SMSVAULT_PGURI" -c "SHOW synchronous_standby_names") == ANY\ 1* ]] ||
    fail "the new primary does not commit synchronously"

# --- when service resumed, measured on the new primary's clock (the same machine)
resumed() {  # resumed <source>: seconds from the kill to the first row of that source committed after it
    sql "SELECT round((extract(epoch FROM min(saved_at)) - $t_kill)::numeric, 1) FROM sms
         WHERE source = '$1' AND saved_at > to_timestamp($t_kill)"
}
r_sms=$(resumed sms) r_web=$(resumed import)
r_db=$(awk -v a="$t_kill" -v b="$t_db" 'BEGIN { printf "%.1f", b - a }')
echo "e2e: failover: $first killed -9 at $at of $total SAVEs; $second took writes after ${r_db} s;" \
    "first SAVE committed after ${r_sms} s, first upload after ${r_web} s"
echo "e2e: failover: SAVEs sent $total stored-once $d lost $lost duplicated $dup (replies sent again: $dup_replies);" \
    "uploads acked $acked_web stored-once $wd lost $lost_web duplicated $dup_web (tries $(($(cat "$VAR/tries.1") + $(cat "$VAR/tries.2"))));" \
    "fsck clean"
((lost == 0 && dup == 0)) || fail "SAVEs: $lost lost, $dup duplicated"
((lost_web == 0 && dup_web == 0)) || fail "uploads: $lost_web lost, $dup_web duplicated"
[[ -n $r_sms && -n $r_web ]] || fail "nothing was committed after the kill (sms '$r_sms', web '$r_web')"
e2e_pass
