#!/usr/bin/env bash
# vaultbox_faults_test.sh <build-dir> — what vaultbox does when something
# around it misbehaves, on the real stack (smscsim, bearerbox, vaultbox,
# PostgreSQL):
#   * a delivery report the database refuses (a trigger raises for that one
#     outbox row): it is dropped and logged, and the acks and reports after
#     it are still applied — the acker does not stall on it;
#   * bearerbox slow to ack, played by a window of 2 MT in flight: a burst
#     from 10 phones is answered in full and in order (the sender sleeps
#     on a full window and the acks wake it).
# Not a test of the commands (vaultbox_test.sh) nor of two processes
# (vaultbox_two_test.sh).
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); creates
# and drops a database of its own there. Free loopback ports, a temp dir;
# kills only the PIDs it started; prints logs on failure; fails on
# ERROR/PANIC in our own logs other than the lines of the error it injects.
set -euo pipefail

BUILD=$(cd "${1:?usage: vaultbox_faults_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SMSVAULT_TEST_PGADMIN:?SMSVAULT_TEST_PGADMIN is not set: run through ./smsvault test}"
VAR=$(mktemp -d /tmp/sv-vbf-e2e.XXXXXX)
ok=0

source "$ROOT/tests/e2e/lib.sh"
e2e_ports

DB=sv_vbf_e2e_$$
export SMSVAULT_PGURI
SMSVAULT_PGURI=$(sv_test_db "$DB")
export SV_VAULTBOX_EXTRA="[box]
window = 2"

cleanup() {
    svc_vaultbox_stop "$VAR"
    svc_bearerbox_stop "$VAR"
    svc_smscsim_stop "$VAR"
    psql -q -X "$SMSVAULT_TEST_PGADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    if ((ok)); then
        rm -rf "$VAR"
    else
        e2e_logs "$VAR"/log/vaultbox.log "$VAR"/log/smscsim.log "$VAR"/log/bearerbox.log
        echo "e2e: FAILED; state kept in $VAR"
    fi
}
trap cleanup EXIT

fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
expect() { e2e_expect "$@"; }              # <msisdn> <text> <reply part>

# until_sql <query> <want> <what>: poll until the query answers want (30 s at most)
until_sql() {
    local deadline=$((SECONDS + 30))
    until [[ $(sql "$1") == "$2" ]]; do
        ((SECONDS < deadline)) || fail "$3: $(sql "$1") (want $2)"
        sleep 0.1
    done
}

svc_smscsim_start "$VAR" || fail "smscsim did not start"
svc_bearerbox_start "$VAR" || fail "bearerbox did not start"
svc_vaultbox_start "$VAR" || fail "vaultbox did not start"

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
deadline=$((SECONDS + 30))
until grep -q "store: sql-error stmt=outbox-delivered sqlstate=P0001" "$VAR/log/vaultbox.log"; do
    ((SECONDS < deadline)) || fail "the report for outbox row $poison did not come"
    sleep 0.1
done
expect $A "SAVE after the poison" "Saved as 2."
until_sql "SELECT state FROM outbox WHERE text LIKE 'Saved as 2.%'" 3 \
    "a reply after the refused report did not reach delivered"
until_sql "SELECT count(*) FROM outbox WHERE state <> 3 AND id <> $poison" 0 "replies not delivered"
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
done
for p in "${burst_pids[@]}"; do
    wait "$p" || fail "a phone of the burst missed a reply"
done
[[ $(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'burst %'") == 30 ]] || fail "burst: not 30 SAVEs stored"
until_sql "SELECT count(*) FROM outbox WHERE state <> 3 AND id <> $poison" 0 "burst replies not delivered"
echo "e2e: ok a window of 2: 30 SAVEs from 10 phones at once, every reply in order"

# our logs: no ERROR/PANIC but the injected error and its drop
if grep -E 'ERROR|PANIC' "$VAR/log/vaultbox.log" "$VAR/log/smscsim.log" |
    grep -vE "store: sql-error stmt=outbox-delivered sqlstate=P0001|vaultbox: ack-dropped outbox_id=$poison "; then
    fail "ERROR/PANIC in our logs"
fi
ok=1
echo "e2e: PASS"
