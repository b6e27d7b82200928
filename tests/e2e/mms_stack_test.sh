#!/usr/bin/env bash
# mms_stack_test.sh <build-dir> — an MMS from the phone to the archive on
# the whole simulated network: phonesim sends photo.jpg + note.txt over MM1
# (m-send-req) to mmscsim, the operator's MMSC, which hands it to vaultmms
# as an MM7 DeliverReq — in each of its dialects (3gpp, nokia, mbuni) —
# with the credentials of the shipped [mmsc.sim]; vaultmms archives it and
# the phone gets "Saved as M<n>" by SMS through vaultbox, bearerbox and
# smscsim. What the user notices: every part byte-exact (SHA-256 of the
# files, in the database and as the web page serves them), the space
# charged (vaultctl fsck agrees), LIST MMS by SMS and the web API's list
# and item with its parts. The MMSC's faults: a DeliverReq posted twice
# (mmscsim dup) is stored once and told once; vaultmms answering HTTP 500
# with 4006 (the database keeps refusing with serialization failures) or
# 3000 (a database error) makes mmscsim retry until it goes through, and the
# MMS is stored once, with nothing half-stored meanwhile.
#
# The database failures are injected with a trigger on mms_parts, so they
# strike after the MMS row is written: the rollback is what is tested.
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); every
# process on free loopback ports in a temp dir; the teardown of
# tests/e2e/lib.sh stops what it started, prints the logs on failure and
# fails on ERROR/PANIC in our logs (but the one error injected on purpose).
set -euo pipefail

BUILD=$(cd "${1:?usage: mms_stack_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
# shellcheck source=scripts/svc/mmscsim.sh
source "$ROOT/scripts/svc/mmscsim.sh"
e2e_begin mms-stack
fail() { e2e_fail "$@"; }
ok() { echo "e2e: ok $*"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

e2e_ports
e2e_mms_ports
# quick retries, and enough of them to outlast the injected failures
export SV_MMSCSIM_ARGS="--retry-ms 200 --retry-max-ms 800 --max-attempts 100"
e2e_db mms_stack
e2e_conf
# the one ERROR this suite causes: the database error injected in step 5
e2e_allow_log 'store: sql-error stmt=mms-part-insert-many sqlstate=P0001'

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultmms
e2e_start mmscsim
e2e_start vaultweb
echo "e2e: stack up in $((SECONDS - E2E_T0)) s"

A=8613800000201
mstat_is() { [[ $(mstat "$1") == "$2" ]]; }
mms_phone() { e2e_mms_phone "$A" "$@"; }
sha() { sha256sum "$1" | cut -c1-64; }

e2e_expect "$A" "REG alice alicepass1" "alice"

# the phone's files: a "JPEG" of random bytes (NUL, CR LF inside), a UTF-8 note
{ printf '\xff\xd8\xff\xe0\x00\r\n'; head -c 30000 /dev/urandom; } >"$VAR/photo.jpg"
printf '海边的问候 🌊\r\nGreetings from the beach\n' >"$VAR/note.txt"
size=$(($(stat -c %s "$VAR/photo.jpg") + $(stat -c %s "$VAR/note.txt")))

# stored_ok <n> <subject>: MMS n is the two files, byte-exact, in order
stored_ok() {
    local n=$1 subject=$2 row
    row=$(sql "SELECT subject || '|' || nparts || '|' || size_bytes FROM mms WHERE n = $n")
    [[ $row == "$subject|2|$size" ]] || fail "MMS $n: $row (want $subject|2|$size)"
    [[ $(sql "SELECT string_agg(content_type || ' ' || name || ' ' || encode(sha256(data), 'hex'), ',' ORDER BY seq)
              FROM mms_parts WHERE n = $n") == \
        "image/jpeg photo.jpg $(sha "$VAR/photo.jpg"),text/plain; charset=utf-8 note.txt $(sha "$VAR/note.txt")" ]] ||
        fail "MMS $n parts: $(sql "SELECT seq, content_type, name, length(data) FROM mms_parts WHERE n = $n")"
}

# ---- 1. the MMS in each dialect: archived byte-exact, the phone told
k=0
for d in 3gpp nokia mbuni; do
    [[ $(mctl "fault?dialect=$d") == OK ]] || fail "dialect $d"
    k=$((k + 1))
    out=$(mms_phone --expect 1 --timeout 30000 --subject "Holiday $d" --mms "$VAR/photo.jpg" "$VAR/note.txt") ||
        fail "MMS ($d): no 'Saved' SMS: $out"
    grep -q "^MMS sent .*parts=2 .*status=0x80 message_id=mmscsim-" <<<"$out" || fail "no m-send-conf Ok ($d): $out"
    grep -q "^Saved as M$k\. Used " <<<"$out" || fail "the phone was not told M$k ($d): $out"
    [[ $(mstat dialect) == "$d" ]] || fail "mmscsim is not posting in the $d dialect"
    stored_ok "$k" "Holiday $d"
    ok "$d dialect: phonesim -> mmscsim -> DeliverReq -> vaultmms: M$k byte-exact, '$(grep '^Saved' <<<"$out")'"
done
mctl "fault?dialect=3gpp" >/dev/null
[[ $(sql "SELECT used_bytes FROM users WHERE username = 'alice'") == $((3 * size)) ]] ||
    fail "charged $(sql "SELECT used_bytes FROM users WHERE username = 'alice'"), want $((3 * size))"
"$BUILD/store/vaultctl" fsck >/dev/null || fail "vaultctl fsck: the space does not add up"
ok "charged $((3 * size)) bytes for three MMS; fsck agrees"

# ---- 2. LIST MMS by SMS
out=$(e2e_phone --from "$A" --timeout 20000 "LIST MMS") || fail "LIST MMS: no reply"
for k in 3 2 1; do
    grep -q "^M$k " <<<"$out" || fail "LIST MMS does not show M$k: $out"
done
[[ $(grep -n '^M3 ' <<<"$out" | cut -d: -f1) -lt $(grep -n '^M1 ' <<<"$out" | cut -d: -f1) ]] ||
    fail "LIST MMS is not newest first: $out"
ok "LIST MMS shows M3, M2, M1, newest first"

# ---- 3. the web page's API lists it with its parts, served byte-exact
jar=$VAR/alice.jar
code=$(curl -sS -o "$VAR/login" -w '%{http_code}' -c "$jar" -H 'X-Smsvault-Csrf: 1' \
    -H 'Content-Type: application/json' --data '{"username":"alice","password":"alicepass1"}' "$WEB/api/login")
[[ $code == 200 ]] || fail "web login: $code $(cat "$VAR/login")"
curl -sS -f -b "$jar" "$WEB/api/mms" >"$VAR/list" || fail "GET /api/mms"
[[ $(jq -r '[.items[].n] | join(",")' "$VAR/list") == "3,2,1" ]] || fail "web list: $(cat "$VAR/list")"
[[ $(jq -r '.items[] | select(.n == 1) | .subject' "$VAR/list") == "Holiday 3gpp" ]] || fail "web list subject"
curl -sS -f -b "$jar" "$WEB/api/mms/2" >"$VAR/item" || fail "GET /api/mms/2"
[[ $(jq -r '[.parts[] | "\(.content_type) \(.name) \(.size)"] | join(",")' "$VAR/item") == \
    "image/jpeg photo.jpg $(stat -c %s "$VAR/photo.jpg"),text/plain; charset=utf-8 note.txt $(stat -c %s "$VAR/note.txt")" ]] ||
    fail "web item parts: $(cat "$VAR/item")"
[[ $(jq -r '.parts[1].text' "$VAR/item") == "$(cat "$VAR/note.txt")" ]] || fail "web preview text"
# a part's URL carries its seq + 1 (web/items.c)
for seq in $(jq -r '.parts[].seq' "$VAR/item"); do
    curl -sS -f -b "$jar" -o "$VAR/part-$seq" "$WEB/api/mms/2/parts/$((seq + 1))" || fail "GET part $seq"
done
first=$(jq -r '.parts[0].seq' "$VAR/item") second=$(jq -r '.parts[1].seq' "$VAR/item")
cmp -s "$VAR/part-$first" "$VAR/photo.jpg" && cmp -s "$VAR/part-$second" "$VAR/note.txt" ||
    fail "the web page serves other bytes than the phone sent"
ok "the web API lists M3, M2, M1 and serves M2's two parts byte-exact"

# ---- 4. a DeliverReq posted twice (same TransactionID): stored once, told once
mctl "fault?dup=1" >/dev/null
dups=$(mstat deliver_dups)
out=$(mms_phone --expect 1 --timeout 30000 --subject "Twice" --mms "$VAR/photo.jpg" "$VAR/note.txt") ||
    fail "MMS (dup): $out"
grep -q "^Saved as M4\." <<<"$out" || fail "dup: $out"
sv_wait_for "the duplicate DeliverReq posted" 20 mstat_ge deliver_dups $((dups + 1)) &&
    sv_wait_for "mmscsim's queue drained" 20 mstat_is queue 0 ||
    fail "mmscsim did not post the duplicate: $(mctl stats)"
mctl reset >/dev/null
[[ $(sql "SELECT count(*) FROM mms WHERE subject = 'Twice'") == 1 ]] || fail "the duplicate was stored twice"
[[ $(sql "SELECT count(*) FROM outbox WHERE text LIKE 'Saved as M4.%'") == 1 ]] || fail "the phone was told twice"
out=$(e2e_phone --from "$A" --timeout 1500 2>&1 || true)
! grep -q "Saved as M4" <<<"$out" || fail "a second 'Saved as M4' reached the phone: $out"
ok "a DeliverReq posted twice: answered both times, stored once, the phone told once"

# ---- 5. vaultmms answers HTTP 500 (4006, then 3000): mmscsim retries, stored once
# fail_parts <sqlstate>: every insert of a part fails with that SQLSTATE
fail_parts() {
    sql "CREATE OR REPLACE FUNCTION e2e_fail_parts() RETURNS trigger LANGUAGE plpgsql AS
         \$\$ BEGIN RAISE EXCEPTION 'injected by mms_stack_test' USING ERRCODE = '$1'; END \$\$;
         DROP TRIGGER IF EXISTS e2e_fail_parts ON mms_parts;
         CREATE TRIGGER e2e_fail_parts BEFORE INSERT ON mms_parts FOR EACH STATEMENT EXECUTE FUNCTION e2e_fail_parts();" \
        >/dev/null
}
heal_parts() { sql "DROP TRIGGER e2e_fail_parts ON mms_parts" >/dev/null; }
k=4
for fault in "40001 4006" "P0001 3000"; do
    read -r sqlstate status <<<"$fault"
    k=$((k + 1))
    fail_parts "$sqlstate"
    retries=$(mstat deliver_retries)
    out=$(mms_phone --timeout 500 --quiet 500 --subject "Retried $status" --mms "$VAR/photo.jpg" "$VAR/note.txt" 2>&1) ||
        true
    grep -q "^MMS sent .*status=0x80" <<<"$out" || fail "MMS ($status): $out"
    sv_wait_for "mmscsim retrying ($status)" 30 mstat_ge deliver_retries $((retries + 3)) ||
        fail "mmscsim does not retry after $status: $(mctl stats)"
    grep -q "op=DeliverReq http=500 status=$status" "$VAR/log/vaultmms.log" ||
        fail "vaultmms did not answer HTTP 500 / $status: $(grep 'op=DeliverReq' "$VAR/log/vaultmms.log" | tail -3)"
    [[ $(sql "SELECT count(*) FROM mms WHERE subject = 'Retried $status'") == 0 &&
        $(sql "SELECT count(*) FROM mms_parts WHERE n NOT IN (SELECT n FROM mms)") == 0 &&
        $(sql "SELECT count(*) FROM mm7_seen WHERE status = 0") == 0 ]] || fail "something of a refused MMS was kept"
    heal_parts
    got=$(e2e_wait_mt "$A" 30000) || fail "no 'Saved' SMS once the database is back ($status)"
    [[ $got == "Saved as M$k."* ]] || fail "after $status: $got"
    [[ $(sql "SELECT count(*) FROM mms WHERE subject = 'Retried $status'") == 1 ]] || fail "stored $status twice"
    stored_ok "$k" "Retried $status"
    ok "vaultmms answered HTTP 500 / $status while the database refused: mmscsim retried, M$k stored once"
done
[[ $(sql "SELECT count(*) FROM outbox WHERE text LIKE 'Saved as M%'") == 6 ]] ||
    fail "the phone was told $(sql "SELECT count(*) FROM outbox WHERE text LIKE 'Saved as M%'") times for 6 MMS"
"$BUILD/store/vaultctl" fsck >/dev/null || fail "vaultctl fsck after the faults"
[[ $(mstat deliver_failed) == 0 ]] || fail "mmscsim gave up a DeliverReq: $(mctl stats)"
echo "e2e: mms-stack: $(mstat deliver_ok) DeliverReq delivered, $(mstat deliver_retries) retries"
e2e_pass
