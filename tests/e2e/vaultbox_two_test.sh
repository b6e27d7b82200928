#!/usr/bin/env bash
# vaultbox_two_test.sh <build-dir> — two vaultbox processes with the same box
# id on one bearerbox (docs/DESIGN.md "Scaling out"), sharing the load and the
# outbox: 40 phones send 20 SAVEs each; one vaultbox is killed -9 in the
# middle and started again. Asserts that every SAVE is stored exactly once,
# that every phone got every reply, that both processes took MOs, and that
# every reply reached "delivered" even where bearerbox handed the delivery
# report to the other process. Duplicate replies at the handsets are counted:
# only the replies the killed process had in flight (SENDING, claimed by it)
# may come twice (at least once); a duplicate of any other reply — one the
# surviving or the restarted process had in flight — fails the test. Not a
# test of one vaultbox's commands (vaultbox_test.sh).
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); creates
# and drops a database of its own there. Free loopback ports, a temp dir;
# the teardown of tests/e2e/lib.sh stops what it started, prints logs on
# failure and fails on ERROR/PANIC in our own logs.
set -euo pipefail

BUILD=$(cd "${1:?usage: vaultbox_two_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
loop_pids=()
PHONES=40 SAVES=20

source "$ROOT/tests/e2e/lib.sh"
e2e_begin vb2-e2e
VA=$VAR/a VB=$VAR/b  # each vaultbox: its own log, pid and ready file
e2e_ports
e2e_db vb2_e2e
# a short grace so the killed process's replies go out again within seconds;
# debug logs name the MOs and delivery reports each process handled
e2e_conf "[box]
instance_grace = 4
log_level = debug"

fail() { e2e_fail "$@"; }

sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
phone() { e2e_phone "$@"; }
# the instance id the vaultbox of <vardir> logged last (its current process)
instance_of() { sed -n 's/.*vaultbox: started .*instance=\([0-9a-f-]*\).*/\1/p' "$1/log/vaultbox.log" | tail -n 1; }

# dead <pid>: the process is gone (not even a zombie)
dead() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; }

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox "$VA"
e2e_start vaultbox "$VB"
IA_OLD=$(instance_of "$VA")
IB=$(instance_of "$VB")
[[ -n $IA_OLD && -n $IB && $IA_OLD != "$IB" ]] || fail "instance ids: a='$IA_OLD' b='$IB'"
echo "e2e: two vaultbox processes, box id vaultbox: a=$IA_OLD b=$IB"

ph_of() { echo $((8613600000000 + $1)); }
for i in $(seq 1 $PHONES); do
    out=$(phone --from "$(ph_of "$i")" --timeout 20000 "REG two$i pass1234") || fail "REG two$i: no reply"
    grep -q "Welcome two$i" <<<"$out" || fail "REG two$i: $out"
done
echo "e2e: ok $PHONES phones registered"

# Each phone sends SAVE 1..20 in order, each after the reply to the one
# before. A reply sent again (at least once) arrives before the one awaited:
# it is written to dups/<phone> and the phone reads on.
mkdir -p "$VAR/dups"
for i in $(seq 1 $PHONES); do
    e2e_saves "$(ph_of "$i")" two 1 "$SAVES" "$VAR/dups/$(ph_of "$i")" &
    loop_pids+=($!)
    e2e_bg $!
done
total=$((PHONES * SAVES))
deadline=$((SECONDS + 60))
until (($(sql "SELECT count(*) FROM sms WHERE body LIKE 'two %'") >= total / 5)); do
    ((SECONDS < deadline)) || fail "load did not start"
    sleep 0.05
done
pid_a=$(cat "$VA/run/vaultbox.pid")
kill -KILL "$pid_a"
deadline=$((SECONDS + 10))
until dead "$pid_a"; do
    wait "$pid_a" 2>/dev/null || true
    ((SECONDS < deadline)) || fail "vaultbox a did not die"
done
rm -f "$VA/run/vaultbox.pid"
# What a had in flight when it died: the only replies that may come twice.
# Taken before the grace (4 s after its last lease renewal) lets anyone
# requeue them; rows a's last claim took after this never reached bearerbox.
sql "SELECT id FROM outbox WHERE state = 1 AND claimed_by = '$IA_OLD' ORDER BY id" >"$VAR/inflight_a"
inflight=$(wc -l <"$VAR/inflight_a")
echo "e2e: vaultbox a killed -9 at $(sql "SELECT count(*) FROM sms WHERE body LIKE 'two %'") of $total SAVEs, $inflight replies in flight"
e2e_start vaultbox "$VA"
IA_NEW=$(instance_of "$VA")
[[ -n $IA_NEW && $IA_NEW != "$IA_OLD" && $IA_NEW != "$IB" ]] || fail "restarted a has instance '$IA_NEW'"

for p in "${loop_pids[@]}"; do
    wait "$p" || fail "a phone missed a reply after the kill -9"
done
loop_pids=()
n=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'two %'")
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'two %'")
[[ $n == "$total" && $d == "$total" ]] || fail "$n rows, $d distinct (want $total, $total)"
echo "e2e: ok every SAVE stored exactly once ($total), every phone got every reply"

# Every reply sent and delivered: delivery reports reach either process.
deadline=$((SECONDS + 60))
until [[ $(sql "SELECT count(*) FROM outbox WHERE state <> 3") == 0 ]]; do
    ((SECONDS < deadline)) || fail "outbox rows not delivered: $(sql "SELECT state, count(*) FROM outbox GROUP BY state")"
    sleep 0.2
done
[[ $(sql "SELECT count(*) FROM outbox_instances WHERE id = '$IA_OLD'") == 0 ]] || fail "the killed instance is still registered"

# Whatever else is on its way to a handset now is a duplicate too.
for i in $(seq 1 $PHONES); do
    e2e_saved_left "$(ph_of "$i")" 3000 "$VAR/dups/$(ph_of "$i")" &
    loop_pids+=($!)
    e2e_bg $!
done
for p in "${loop_pids[@]}"; do
    wait "$p" || true
done
loop_pids=()

# Each duplicate is one outbox row sent twice; it must be one a had in flight.
dups=0 foreign=0
for f in "$VAR"/dups/*; do
    [[ -e $f ]] || continue
    ph=$(basename "$f")
    while read -r j; do
        [[ -n $j ]] || continue
        dups=$((dups + 1))
        id=$(sql "SELECT id FROM outbox WHERE msisdn IN ('$ph', '+$ph') AND text LIKE 'Saved as $j.%'")
        [[ $id =~ ^[0-9]+$ ]] || fail "phone $ph: duplicate 'Saved as $j' matches outbox rows '$id'"
        if ! grep -qx "$id" "$VAR/inflight_a"; then
            echo "e2e: phone $ph: duplicate 'Saved as $j' (outbox $id, last claimed by $(sql "SELECT claimed_by FROM outbox WHERE id = $id")) was not in flight at the killed vaultbox" >&2
            foreign=$((foreign + 1))
        fi
    done <"$f"
done
echo "e2e: duplicates at handsets: $dups, all allowed: of the $inflight replies the killed vaultbox had in flight (at least once)"
((foreign == 0)) || fail "$foreign duplicate(s) of replies a live vaultbox had in flight"
requeued=$(cat "$VA/log/vaultbox.log" "$VB/log/vaultbox.log" |
    sed -n 's/.*outbox-orphans-requeued .*count=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
((requeued <= inflight)) || fail "$requeued rows requeued as orphans, but only $inflight were in flight at the killed vaultbox"
# no process lost its bearerbox connection: none requeued rows as its own
# (before instances, the restarted one requeued every SENDING row, b's too)
if grep -h "outbox-requeued instance=" "$VA/log/vaultbox.log" "$VB/log/vaultbox.log"; then
    fail "a process requeued SENDING rows it had not written on a lost connection"
fi
echo "e2e: ok $requeued of the killed vaultbox's replies requeued after the grace; the survivor's never"

# Both processes took MOs, and delivery reports crossed: a report for a row
# one process claimed was applied by the other (keyed by the outbox id).
mo_a=$(grep -c 'vaultbox: mo uuid=' "$VA/log/vaultbox.log" || true)
mo_b=$(grep -c 'vaultbox: mo uuid=' "$VB/log/vaultbox.log" || true)
((mo_a > 0 && mo_b > 0)) || fail "bearerbox did not share the MOs: a=$mo_a b=$mo_b"
cross() {  # cross <log> <instance>: reports in log for rows not claimed by instance
    local ids
    ids=$(sed -n 's/.*vaultbox: dlr outbox_id=\([0-9]*\) .*/\1/p' "$1" | sort -u | paste -sd, -)
    [[ -n $ids ]] || { echo 0; return; }
    sql "SELECT count(*) FROM outbox WHERE id IN ($ids) AND claimed_by IS DISTINCT FROM '$2'"
}
cross_b=$(cross "$VB/log/vaultbox.log" "$IB")
# a's log holds both of its processes: each part against its own instance
sed -n "/vaultbox: started .*instance=$IA_NEW/,\$p" "$VA/log/vaultbox.log" >"$VAR/a_new.log"
sed -n "1,/vaultbox: started .*instance=$IA_NEW/p" "$VA/log/vaultbox.log" >"$VAR/a_old.log"
cross_a=$(($(cross "$VAR/a_old.log" "$IA_OLD") + $(cross "$VAR/a_new.log" "$IA_NEW")))
((cross_b > 0 && cross_a > 0)) || fail "no delivery report crossed between the processes: a=$cross_a b=$cross_b"
echo "e2e: ok MOs a=$mo_a b=$mo_b; reports applied for rows the other claimed: a=$cross_a b=$cross_b; all $(sql "SELECT count(*) FROM outbox") replies delivered"

e2e_pass
