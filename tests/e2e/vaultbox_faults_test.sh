#!/usr/bin/env bash
# vaultbox_faults_test.sh <build-dir> — what vaultbox does when something
# around it misbehaves, on the real stack (smscsim, bearerbox, vaultbox,
# PostgreSQL):
#   * a delivery report the database refuses (a trigger raises for that one
#     outbox row): it is dropped and logged, and the acks and reports after
#     it are still applied — the acker does not stall on it;
#   * bearerbox slow to ack, played by a window of 2 MT in flight: a burst
#     from 10 phones is answered in full and in order (the sender sleeps
#     on a full window and the acks wake it);
#   * bearerbox shut down gracefully (SIGTERM: it sends its boxes
#     cmd_shutdown and waits for them to close): vaultbox closes, stays up
#     and connects again once bearerbox is back; a SAVE sent right after the
#     restart is answered and stored once, by the same vaultbox process;
#     an MO being applied when the shutdown comes (its transaction waits
#     for a row lock the test holds) is acked before vaultbox closes, so
#     bearerbox does not send it again; and a restart in the middle of 100
#     SAVEs from 10 phones: each stored exactly once, every phone got every
#     reply;
#   * bearerbox restarted through its admin port (it sends cmd_restart): the
#     same vaultbox connects again and answers;
#   * the same with --exit-on-bearerbox-shutdown: vaultbox exits (status 0).
# Not a test of the commands (vaultbox_test.sh) nor of two processes
# (vaultbox_two_test.sh).
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); creates
# and drops a database of its own there. Free loopback ports, a temp dir;
# the teardown of tests/e2e/lib.sh stops what it started, prints logs on
# failure and fails on ERROR/PANIC in our own logs, but for the lines this
# suite causes on purpose (e2e_allow_log below).
set -euo pipefail

BUILD=$(cd "${1:?usage: vaultbox_faults_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin vbf-e2e
e2e_ports
e2e_db vbf_e2e
e2e_conf "[box]
window = 2"
# Kannel's own connection code (in vaultbox's log) while bearerbox is away
e2e_allow_bearerbox_away

fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
expect() { e2e_expect "$@"; }              # <msisdn> <text> <reply part>

# until_sql <query> <want> <what>: poll until the query answers want (30 s at most)
until_sql() { e2e_until_sql "$@"; }

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox

A=8613700000001

# --- a delivery report the database refuses does not stall the others
expect $A "REG faults pass1234" "Welcome faults!"
expect $A "SAVE poison-receipt" "Saved as 1."
# the report "delivered" for the one reply whose text is that body fails
sql "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN RAISE EXCEPTION 'injected by vaultbox_faults_test'; END \$\$;
     CREATE TRIGGER refuse_poison BEFORE UPDATE ON outbox FOR EACH ROW
     WHEN (NEW.state = 3 AND OLD.text = 'poison-receipt') EXECUTE FUNCTION refuse_poison();" >/dev/null
expect $A "GET 1" "poison-receipt"
poison=$(sql "SELECT id FROM outbox WHERE text = 'poison-receipt'")
[[ $poison =~ ^[0-9]+$ ]] || fail "outbox row of the GET reply: '$poison'"
# the error the trigger injects (in the acker's folded statement for its
# batch, then in the report's own), and vaultbox's line about that one report
e2e_allow_log "store: sql-error stmt=outbox-(mark-many|delivered) sqlstate=P0001|vaultbox: ack-dropped outbox_id=$poison "
deadline=$((SECONDS + 30))
until grep -q "store: sql-error stmt=outbox-delivered sqlstate=P0001" "$VAR/log/vaultbox.log"; do
    ((SECONDS < deadline)) || fail "the report for outbox row $poison did not come"
    sleep 0.1
done
expect $A "SAVE after the poison" "Saved as 2."
until_sql "SELECT state FROM outbox WHERE text LIKE 'Saved as 2.%'" 3 \
    "a reply after the refused report did not reach delivered"
# (a request, kind 1, is no MT: the rows it was rendered into are)
until_sql "SELECT count(*) FROM outbox WHERE state <> 3 AND kind <> 1 AND id <> $poison" 0 "replies not delivered"
[[ $(sql "SELECT state FROM outbox WHERE id = $poison") == 2 ]] || fail "the refused report was applied"
grep -q "vaultbox: ack-dropped outbox_id=$poison " "$VAR/log/vaultbox.log" || fail "the drop was not logged"
echo "e2e: ok a delivery report the database refuses is dropped; the ones after it are applied"

# --- a full window: a burst of 30 SAVEs from 10 phones, 2 replies in flight at most
for i in $(seq 1 10); do
    expect $((8613700000100 + i)) "REG burst$i pass1234" "Welcome burst$i!" >/dev/null
done
burst_pids=()
for i in $(seq 1 10); do
    (
        ph=$((8613700000100 + i))
        for k in 1 2 3; do
            out=$(e2e_phone --from $ph --timeout 30000 "SAVE burst $ph $k") || exit 1
            [[ $out == "Saved as $k."* ]] || { echo "phone $ph SAVE $k: $out" >&2; exit 1; }
        done
    ) &
    burst_pids+=($!)
    e2e_bg $!
done
for p in "${burst_pids[@]}"; do
    wait "$p" || fail "a phone of the burst missed a reply"
done
[[ $(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'burst %'") == 30 ]] || fail "burst: not 30 SAVEs stored"
until_sql "SELECT count(*) FROM outbox WHERE state <> 3 AND kind <> 1 AND id <> $poison" 0 "burst replies not delivered"
echo "e2e: ok a window of 2: 30 SAVEs from 10 phones at once, every reply in order"

# --- bearerbox stopped gracefully and started again: the same vaultbox goes on
# bb_term, bb_gone: SIGTERM to bearerbox; it must then exit by itself (it
# waits for its boxes to close their connections: a box that does not would
# hang it)
bb_term() { kill -TERM "$(cat "$VAR/run/bearerbox.pid")"; }
bb_gone() {
    local pid deadline=$((SECONDS + 20))
    pid=$(cat "$VAR/run/bearerbox.pid")
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "bearerbox did not exit after SIGTERM"
        sleep 0.05
    done
    rm -f "$VAR/run/bearerbox.pid" "$VAR/run/bearerbox.start"
}
bb_stop_gracefully() { bb_term; bb_gone; }
# until_log <n> <pattern> <what>: until the vaultbox log has more than n lines matching pattern
until_log() {
    local deadline=$((SECONDS + 30))
    until (($(grep -c -- "$2" "$VAR/log/vaultbox.log") > $1)); do
        ((SECONDS < deadline)) || fail "$3"
        sleep 0.05
    done
}
vb_pid=$(cat "$VAR/run/vaultbox.pid")
connects=$(grep -c "vaultbox: connected " "$VAR/log/vaultbox.log")
bb_stop_gracefully
grep -q "vaultbox: bearerbox is shutting down" "$VAR/log/vaultbox.log" || fail "vaultbox was not told of the shutdown"
kill -0 "$vb_pid" 2>/dev/null || fail "vaultbox exited with bearerbox"
svc_bearerbox_start "$VAR" || fail "bearerbox did not start again"
# sent at once: it waits in bearerbox until vaultbox is connected again
expect $A "SAVE after the bearerbox restart" "Saved as 3."
[[ $(sql "SELECT count(*) FROM sms WHERE body = 'after the bearerbox restart'") == 1 ]] || fail "not stored once"
[[ $(cat "$VAR/run/vaultbox.pid") == "$vb_pid" ]] && kill -0 "$vb_pid" || fail "vaultbox is not the same process"
(($(grep -c "vaultbox: connected " "$VAR/log/vaultbox.log") > connects)) || fail "vaultbox did not connect again"
echo "e2e: ok bearerbox stopped gracefully and restarted: vaultbox pid $vb_pid stayed up and answered"

# --- bearerbox restarted by its admin command: cmd_restart, same handover
restarts=$(grep -c "vaultbox: bearerbox is restarting" "$VAR/log/vaultbox.log" || true)
connects=$(grep -c "vaultbox: connected " "$VAR/log/vaultbox.log")
admin_pw=$(sed -n 's/^admin-password = //p' "$VAR/kannel.conf")
old_bb=$(cat "$VAR/run/bearerbox.pid")
ans=$(exec 3<>"/dev/tcp/127.0.0.1/$SV_BB_ADMIN_PORT" &&
    printf 'GET /restart?password=%s HTTP/1.0\r\n\r\n' "$admin_pw" >&3 && timeout 5 cat <&3) || true
grep -qi "restart" <<<"$ans" || fail "bearerbox admin restart: $ans"
until_log "$restarts" "vaultbox: bearerbox is restarting" "vaultbox was not told of the restart"
# bearerbox restarts as a new process (it forks, the child execs itself):
# track its pid, so that the cleanup stops it
deadline=$((SECONDS + 30))
new_bb=
while [[ -z $new_bb ]] || ! kill -0 "$new_bb" 2>/dev/null || kill -0 "$old_bb" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "bearerbox did not come back from its restart"
    sleep 0.05
    new_bb=$(sed -n 's/.* \[\([0-9]*\)\] \[0\] INFO: Kannel bearerbox II version .* starting$/\1/p' \
        "$VAR/log/bearerbox.log" | tail -n 1)
    [[ $new_bb != "$old_bb" ]] || new_bb=
done
echo "$new_bb" >"$VAR/run/bearerbox.pid"
sv_proc_start "$new_bb" >"$VAR/run/bearerbox.start"
until_log "$connects" "vaultbox: connected " "vaultbox did not connect to the restarted bearerbox"
expect $A "GET 3" "after the bearerbox restart"
kill -0 "$vb_pid" 2>/dev/null || fail "vaultbox exited with bearerbox's restart"
echo "e2e: ok bearerbox restarted by its admin command: the same vaultbox answers"

# --- an MO in a transaction when the shutdown comes is acked before the close
mkfifo "$VAR/lock.fifo"
psql -X -q "$SMSVAULT_PGURI" <"$VAR/lock.fifo" >/dev/null &
lock_pid=$!
e2e_bg "$lock_pid"
exec 7>"$VAR/lock.fifo"
echo "BEGIN; SELECT 1 FROM users WHERE username = 'faults' FOR UPDATE;" >&7
until_sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'
           AND query LIKE '%FOR UPDATE%' AND datname = current_database()" 1 "the test's row lock was not taken"
log_lines=$(wc -l <"$VAR/log/vaultbox.log")
e2e_phone --from $A --timeout 60000 "SAVE held at the shutdown" >"$VAR/held.out" 7>&- &
held_pid=$!
e2e_bg "$held_pid"
until_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()" 1 \
    "the SAVE did not wait for the row lock"
shutdowns=$(grep -c "vaultbox: bearerbox is shutting down" "$VAR/log/vaultbox.log")
closed="vaultbox: bearerbox connection closed for its shutdown unacked=0"
closes=$(grep -c "$closed" "$VAR/log/vaultbox.log")
bb_term
until_log "$shutdowns" "vaultbox: bearerbox is shutting down" "vaultbox was not told of the second shutdown"
((closes == $(grep -c "vaultbox: bearerbox connection closed" "$VAR/log/vaultbox.log"))) ||
    fail "vaultbox closed the connection while an MO was unanswered"
echo "COMMIT;" >&7
exec 7>&-
wait "$lock_pid" || true
until_log "$closes" "$closed" "vaultbox did not close once the MO was acked"
bb_gone
svc_bearerbox_start "$VAR" || fail "bearerbox did not start again"
wait "$held_pid" || fail "no reply to the SAVE held at the shutdown"
grep -q "^Saved as 4\." "$VAR/held.out" || fail "held SAVE: $(cat "$VAR/held.out")"
[[ $(sql "SELECT count(*) FROM sms WHERE body = 'held at the shutdown'") == 1 ]] || fail "held SAVE not stored once"
if tail -n +"$((log_lines + 1))" "$VAR/log/vaultbox.log" | grep -q "vaultbox: mo-duplicate"; then
    fail "bearerbox sent the MO again: it was not acked before the close"
fi
echo "e2e: ok an MO applied during bearerbox's shutdown was acked before the close (not sent again)"

# --- the same in the middle of 100 SAVEs from 10 phones (the burst's accounts)
load_pids=()
for i in $(seq 1 10); do
    # SAVEs 4-13: 1-3 were the burst; a reply in flight at the restart may
    # come again before the one awaited (e2e_saves reads on)
    e2e_saves $((8613700000100 + i)) restart 4 13 &
    load_pids+=($!)
    e2e_bg $!
done
deadline=$((SECONDS + 60))
until (($(sql "SELECT count(*) FROM sms WHERE body LIKE 'restart %'") >= 20)); do
    ((SECONDS < deadline)) || fail "load did not start"
    sleep 0.05
done
bb_stop_gracefully
echo "e2e: bearerbox stopped at $(sql "SELECT count(*) FROM sms WHERE body LIKE 'restart %'") of 100 SAVEs"
svc_bearerbox_start "$VAR" || fail "bearerbox did not start again"
for p in "${load_pids[@]}"; do
    wait "$p" || fail "a phone missed a reply across the bearerbox restart"
done
n=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'restart %'")
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'restart %'")
# Exactly once: a deliver_sm that bearerbox took while it was unbinding is
# answered after its unbind; smscsim reads that answer (it keeps the link
# until bearerbox closes it, SMPP 3.4 §4.2) and does not deliver the SMS
# again under a new Kannel uuid; an MO bearerbox re-sends with its uuid is
# caught by store_mo_seen.
((d == 100)) || fail "across the restart: $d of 100 SAVEs stored"
((n == 100)) || fail "across the restart: $((n - d)) SAVE(s) stored twice"
kill -0 "$vb_pid" 2>/dev/null || fail "vaultbox exited"
echo "e2e: ok bearerbox restarted during 100 SAVEs from 10 phones: each stored once, every reply arrived"

# --- with --exit-on-bearerbox-shutdown vaultbox exits with bearerbox
svc_vaultbox_stop "$VAR"
rm -f "$VAR/run/exit.ready"
"$BUILD/gateway-plugin/vaultbox" --config "$SV_CONF" --ready-file "$VAR/run/exit.ready" \
    --exit-on-bearerbox-shutdown >>"$VAR/log/vaultbox.log" 2>&1 &
exit_pid=$!
e2e_bg "$exit_pid"
deadline=$((SECONDS + 30))
until [[ -f $VAR/run/exit.ready ]]; do
    kill -0 "$exit_pid" 2>/dev/null && ((SECONDS < deadline)) || fail "vaultbox --exit-on-bearerbox-shutdown did not connect"
    sleep 0.05
done
expect $A "GET 3" "after the bearerbox restart"
bb_stop_gracefully
rc=0
wait "$exit_pid" || rc=$?
((rc == 0)) || fail "vaultbox --exit-on-bearerbox-shutdown exited with status $rc"
grep -q "vaultbox: shutdown requested by bearerbox" "$VAR/log/vaultbox.log" || fail "no exit on bearerbox's shutdown"
echo "e2e: ok --exit-on-bearerbox-shutdown: vaultbox exited with bearerbox (status 0)"

e2e_pass
