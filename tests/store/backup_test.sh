#!/bin/bash
# backup_test — the operator's logical backup as docs/OPERATIONS.md gives
# it (issue 13): pg_dump -Fc of a database with a user's SMS, an MMS with a
# binary part, contacts, a bound phone and outbox rows; the database
# dropped; created again and pg_restore'd; then vaultctl fsck is clean,
# every item is there byte for byte (the digest of tests/store/lib.sh), the
# counts and the space of vaultctl stats are the same, and migrate finds
# nothing to do (the schema's version came back with the data).
# pg_basebackup and WAL archiving are documented, not run here: they need a
# cluster of their own with replication rights.
# Usage: backup_test.sh /path/to/vaultctl
set -u
VAULTCTL=$1
. "$(dirname "$0")/lib.sh"
store_suite_db backup

"$VAULTCTL" migrate >/dev/null || { echo "FAIL: migrate"; exit 1; }
echo "correct horse alice" | "$VAULTCTL" user add alice >/dev/null || { echo "FAIL: user add"; exit 1; }
archive_fixture "$tmp"
"$VAULTCTL" import alice "$tmp/in.xml" >/dev/null || { echo "FAIL: the fixture did not import"; exit 1; }
# a bound phone and the outbox's history, as vaultbox leaves them
psql -X -q "$uri" -v ON_ERROR_STOP=1 <<'SQL' >/dev/null || { echo "FAIL: phone and outbox rows"; exit 1; }
INSERT INTO phones (msisdn, msisdn_key, user_id) SELECT '+8613800000001', '8613800000001', id FROM users WHERE username = 'alice';
INSERT INTO outbox (user_id, msisdn, text, state) SELECT id, '+8613800000001', 'Saved as 1.', 3 FROM users;
INSERT INTO outbox (user_id, msisdn, text) SELECT id, '+8613800000001', 'still queued' FROM users;
SQL
psql -X -qtA "$uri" -c "SELECT 'phones ' || count(*) || ' keys ' || (SELECT count(*) FROM phone_keys) FROM phones" -c "SELECT 'outbox ' || string_agg(state::text || ':' || text, ',' ORDER BY id) FROM outbox" >"$tmp/rows.before"
archive_digest "$uri" alice >"$tmp/before"
"$VAULTCTL" stats >"$tmp/stats.before"
grep -q "counts sms 3 mms 1 parts 3 contacts 3" "$tmp/before" && echo "ok: the database holds the items" ||
    { echo "FAIL: fixture: $(cat "$tmp/before")"; exit 1; }

# ---- dump, drop, create, restore
pg_dump -Fc -f "$tmp/smsvault.dump" "$uri"; check "pg_dump -Fc" 0 $?
sv_pg_dropdb "$SMSVAULT_TEST_PGADMIN" "$db"
out=$("$VAULTCTL" stats 2>&1); check "the database is gone" 1 $?
uri=$(sv_pg_createdb "$SMSVAULT_TEST_PGADMIN" "$db") || { echo "FAIL: cannot create $db again"; exit 1; }
pg_restore --exit-on-error --no-owner -d "$uri" "$tmp/smsvault.dump"; check "pg_restore" 0 $?

# ---- what the operator checks
out=$("$VAULTCTL" fsck 2>&1); check "fsck clean after the restore" 0 $?
echo "$out" | tail -1
out=$("$VAULTCTL" migrate 2>&1); check "migrate after the restore" 0 $?
if grep -q "store: migrated" <<<"$out"; then echo "FAIL: the restored schema needed migrations: $out"; fails=$((fails + 1)); fi
archive_digest "$uri" alice >"$tmp/after"
diff "$tmp/before" "$tmp/after" >"$tmp/diff" && echo "ok: every item is back byte for byte ($(tail -1 "$tmp/after"))" ||
    { echo "FAIL: the items differ:"; cat "$tmp/diff"; fails=$((fails + 1)); }
"$VAULTCTL" stats >"$tmp/stats.after"
diff "$tmp/stats.before" "$tmp/stats.after" >/dev/null && echo "ok: vaultctl stats the same (counts, space, outbox)" ||
    { echo "FAIL: stats differ:"; diff "$tmp/stats.before" "$tmp/stats.after"; fails=$((fails + 1)); }
psql -X -qtA "$uri" -c "SELECT 'phones ' || count(*) || ' keys ' || (SELECT count(*) FROM phone_keys) FROM phones" -c "SELECT 'outbox ' || string_agg(state::text || ':' || text, ',' ORDER BY id) FROM outbox" >"$tmp/rows.after"
diff "$tmp/rows.before" "$tmp/rows.after" >/dev/null && echo "ok: the phone and the outbox are back" ||
    { echo "FAIL: phones/outbox differ"; diff "$tmp/rows.before" "$tmp/rows.after"; fails=$((fails + 1)); }
# the archive goes on: numbers continue after the restored ones
out=$("$VAULTCTL" export alice "$tmp/after.xml" 2>&1); check "export after the restore" 0 $?
grep -q "sms 3, mms 1" <<<"$out" && echo "ok: $out" || { echo "FAIL: export: $out"; fails=$((fails + 1)); }

store_suite_end
