#!/bin/bash
# partition_test — migration 012 (partition_by_user) on a database that has
# data (issue 14): a database built at migration 011 with five users' rows
# in every table (SMS in Chinese and emoji, MMS with binary parts and
# addresses, contacts, allocation history, phones, pending codes, sessions,
# outbox rows, an MMS delivery), then vaultctl migrate to the latest. Then:
# every user-data table is hash-partitioned on user_id in 16 partitions and
# the delivery machinery is not; every user's rows are the same, row for
# row; every column, default, check, key, index and foreign key is as
# before (but the two global unique indexes, now lookup tables that still
# refuse a second owner); fsck is clean; a user's rows sit in one partition
# of each table, so do rows written after the migration; a query by user_id
# reads one partition (EXPLAIN, custom and generic plans), and so do the
# lookups by number and by cookie; deleting an MMS or a user cascades as
# before. PARTITION_TEST_SCALE=N (default 1) makes N times the rows, and the
# migration's time is printed (to measure its cost, docs/PARTITIONING.md).
# Usage: partition_test.sh /path/to/vaultctl
set -u
VAULTCTL=$1
MIGRATIONS="$(cd "$(dirname "$0")/../../store/migrations" && pwd)"
. "$(dirname "$0")/lib.sh"
store_suite_db partition
SCALE=${PARTITION_TEST_SCALE:-1}
q() { psql -X -qtA -v ON_ERROR_STOP=1 "$uri" "$@"; }

# ---- a database at 011, as vaultctl migrate leaves it (store/migrate.c)
q -c "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())" || { echo "FAIL: schema_version"; exit 1; }
for f in "$MIGRATIONS"/0*.sql; do
    name=$(basename "$f" .sql)
    v=$((10#${name%%_*}))
    [ "$v" -le 11 ] || continue
    { echo "BEGIN;"; cat "$f"; echo ";"; echo "INSERT INTO schema_version (version, name) VALUES ($v, '$name');"
      echo "COMMIT;"; } | PGOPTIONS="-c client_min_messages=warning" q >/dev/null ||
        { echo "FAIL: migration $name"; exit 1; }
done
[ "$(q -c "SELECT max(version) FROM schema_version")" = 11 ] && echo "ok: the database is at migration 011" ||
    { echo "FAIL: not at 011"; exit 1; }

# five users, each with a different number of rows in every table
q -v scale="$SCALE" <<'SQL' >/dev/null || { echo "FAIL: the data at 011"; exit 1; }
INSERT INTO users (id, username, password_hash, lang, allocated_bytes, next_sms, next_mms, next_contact)
SELECT md5('user' || i)::uuid, 'user' || i, 'x', CASE WHEN i % 2 = 0 THEN 'zh' ELSE 'en' END, 10485760,
       20 * i * :scale + 1, 3 * i + 1, 4 * i + 1
  FROM generate_series(1, 5) i;
INSERT INTO space_grants (user_id, initial, bytes_added, allocated_after)
SELECT id, g = 1, 5242880, 5242880 * g FROM users, generate_series(1, 2) g;
INSERT INTO phones (user_id, msisdn, msisdn_key)
SELECT id, '+86138' || i || g, '86138' || i || g FROM users, generate_series(1, 2) g,
       LATERAL (SELECT substr(username, 5) AS i) x;
INSERT INTO phone_codes (user_id, msisdn, code_hash, expires_at, tries)
SELECT id, '+86139' || substr(username, 5), sha256(username::bytea), now() + interval '10 minutes', 1 FROM users;
INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source, type, extra_names, extra_values)
SELECT u.id, n, '+8613700' || (n % 7), '明天见 message ' || n || ' 😀 of ' || u.username,
       timestamptz '2026-01-01' + n * interval '1 minute', 40 + n % 13, 'import', 1 + n % 2,
       CASE WHEN n % 5 = 0 THEN '{sim_slot}'::text[] ELSE '{}' END,
       CASE WHEN n % 5 = 0 THEN '{1}'::text[] ELSE '{}' END
  FROM users u, LATERAL generate_series(1, (SELECT next_sms - 1 FROM users WHERE id = u.id)) n;
INSERT INTO mms (user_id, n, peer, subject, text, sent_at, size_bytes, nparts, source, msg_box)
SELECT u.id, n, '+8613900' || n, '照片 ' || n, 'look ' || n, timestamptz '2026-02-01' + n * interval '1 hour',
       1000 + n, 2, 'import', 1
  FROM users u, LATERAL generate_series(1, (SELECT next_mms - 1 FROM users WHERE id = u.id)) n;
INSERT INTO mms_parts (user_id, n, seq, content_type, name, data, content_id, content_location)
SELECT user_id, n, s, CASE s WHEN 0 THEN 'text/plain' ELSE 'image/png' END, 'p' || s,
       CASE s WHEN 0 THEN convert_to('look ' || n, 'UTF8') ELSE '\x89504e470d0a1a0a00ff00fe'::bytea END,
       'c' || s, 'p' || s || '.bin'
  FROM mms, generate_series(0, 1) s;
INSERT INTO mms_addrs (user_id, n, seq, address, type, charset)
SELECT user_id, n, s, CASE s WHEN 0 THEN peer ELSE 'insert-address-token' END, CASE s WHEN 0 THEN 137 ELSE 151 END, '106'
  FROM mms, generate_series(0, 1) s;
INSERT INTO contacts (user_id, n, name, number, vcard, size_bytes, source, tel_types, uid)
SELECT u.id, n, CASE WHEN n % 2 = 0 THEN '李娜' ELSE 'Zhang Wei ' || n END, '+86137' || n,
       'BEGIN:VCARD' || n, 100 + n, 'import', CASE WHEN n % 2 = 0 THEN 'CELL,PREF' ELSE '' END,
       CASE WHEN n % 2 = 0 THEN 'li-na' ELSE '' END
  FROM users u, LATERAL generate_series(1, (SELECT next_contact - 1 FROM users WHERE id = u.id)) n;
INSERT INTO sessions (user_id, token_hash, idle_s, idle_expires, absolute_expires)
SELECT id, sha256((username || g)::bytea), 3600, now() + interval '1 hour', now() + interval '1 day'
  FROM users, generate_series(1, 2) g;
INSERT INTO outbox (user_id, msisdn, text, state) SELECT id, '+86138' || substr(username, 5) || '1', 'Saved.', 3 FROM users;
INSERT INTO outbox (user_id, msisdn, text) SELECT id, '+86138' || substr(username, 5) || '1', 'queued' FROM users;
INSERT INTO mms_retrievals (token_hash, user_id, mms_n, msisdn, outbox_id, expires_at)
SELECT sha256(('r' || username)::bytea), id, 1, '+86138' || substr(username, 5) || '1',
       (SELECT min(o.id) FROM outbox o WHERE o.user_id = users.id), now() + interval '1 day' FROM users;
INSERT INTO mo_seen (kannel_uuid) VALUES ('0f0e0d0c-0b0a-0908-0706-050403020100');
UPDATE users u SET used_bytes = (SELECT coalesce(sum(size_bytes), 0) FROM sms WHERE user_id = u.id)
    + (SELECT coalesce(sum(size_bytes), 0) FROM mms WHERE user_id = u.id)
    + (SELECT coalesce(sum(size_bytes), 0) FROM contacts WHERE user_id = u.id);
SQL

tables="space_grants phones phone_codes sms mms mms_parts mms_addrs contacts sessions"
others="users server_space outbox outbox_instances mo_seen mm7_seen mm7_submissions mms_retrievals login_throttle phone_code_sends"
# every row of every table, per user: count and a digest of the rows as text
rows_digest() {
    for t in $tables; do
        q -c "SELECT '$t ' || user_id || ' ' || count(*) || ' ' || md5(string_agg(x::text, '|' ORDER BY x::text))
              FROM $t x GROUP BY user_id ORDER BY user_id"
    done
    for t in users outbox mms_retrievals mo_seen; do
        q -c "SELECT '$t ' || count(*) || ' ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM $t x"
    done
}
# the tables' shapes: columns (type, null, default), the constraints a table
# has itself (not the copies PostgreSQL makes per partition a foreign key
# references: conparentid), indexes
shape() {
    for t in $tables mms_retrievals; do
        q -c "SELECT '$t col ' || attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull || ' '
                     || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = '$t'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY attname" \
          -c "SELECT '$t con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = '$t'::regclass AND conparentid = 0 ORDER BY conname" \
          -c "SELECT '$t idx ' || replace(pg_get_indexdef(indexrelid), ' ON ONLY ', ' ON ') FROM pg_index
               WHERE indrelid = '$t'::regclass ORDER BY 1"
    done
}
rows_digest >"$tmp/rows.before"
shape >"$tmp/shape.before"
nsms=$(q -c "SELECT count(*) FROM sms")
nall=$(for t in $tables; do q -c "SELECT count(*) FROM $t"; done | awk '{ s += $1 } END { print s }')
grep -q "^sms .* $((100 * SCALE)) " "$tmp/rows.before" && [ "$(grep -c '^phones ' "$tmp/rows.before")" = 5 ] &&
    echo "ok: five users' rows in every table at 011 ($nall rows, $nsms SMS)" ||
    { echo "FAIL: the fixture: $(cat "$tmp/rows.before")"; exit 1; }

# ---- the migration
t0=$(date +%s.%N)
out=$("$VAULTCTL" migrate 2>&1); check "vaultctl migrate from 011" 0 $?
t1=$(date +%s.%N)
contains "partition_by_user applied" "$out" "partition_by_user"
awk -v n="$nall" -v a="$t0" -v b="$t1" 'BEGIN { printf "migrations from 011 moved %d rows in %.2f s, %.0f rows/s (no figure is asserted)\n", n, b - a, n / (b - a) }'

# ---- partitioned, and what is not
for t in $tables; do
    got=$(q -c "SELECT p.partstrat::text || ' ' || a.attname || ' ' || (SELECT count(*) FROM pg_inherits WHERE inhparent = p.partrelid)
                  FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
                 WHERE p.partrelid = '$t'::regclass AND p.partnatts = 1")
    [ "$got" = "h user_id 16" ] && echo "ok: $t is hash-partitioned on user_id in 16 partitions" ||
        { echo "FAIL: $t: '$got'"; fails=$((fails + 1)); }
done
for t in $others; do
    [ "$(q -c "SELECT relkind FROM pg_class WHERE oid = '$t'::regclass")" = r ] ||
        { echo "FAIL: $t is not a plain table any more"; fails=$((fails + 1)); }
done
echo "ok: checked that users, the delivery machinery and the limits stay plain tables"
left=$(q -c "SELECT string_agg(relname, ' ') FROM pg_class WHERE relname LIKE '%\_unpartitioned%' OR relname LIKE 'sv\_partition%'")
[ -z "$left" ] && echo "ok: nothing of the move is left behind" || { echo "FAIL: left behind: $left"; fails=$((fails + 1)); }

# ---- the same rows, the same shape
rows_digest >"$tmp/rows.after"
diff "$tmp/rows.before" "$tmp/rows.after" >"$tmp/diff" && echo "ok: every user's rows unchanged in every table ($(wc -l <"$tmp/rows.after") digests)" ||
    { echo "FAIL: rows differ:"; cat "$tmp/diff"; fails=$((fails + 1)); }
shape >"$tmp/shape.after"
diff "$tmp/shape.before" "$tmp/shape.after" >"$tmp/diff"
expected='< phones idx CREATE UNIQUE INDEX phones_msisdn_key ON public.phones USING btree (msisdn_key)
> phones idx CREATE UNIQUE INDEX phones_msisdn_key ON public.phones USING btree (user_id, msisdn_key)
< sessions idx CREATE UNIQUE INDEX sessions_token ON public.sessions USING btree (token_hash)'
[ "$(grep '^[<>]' "$tmp/diff")" = "$expected" ] &&
    echo "ok: columns, defaults, checks, keys, indexes and foreign keys as before, but the two global unique indexes" ||
    { echo "FAIL: the shape differs:"; cat "$tmp/diff"; fails=$((fails + 1)); }
[ "$(q -c "SELECT (SELECT count(*) FROM phone_keys) || ' ' || (SELECT count(*) FROM session_tokens)")" = "10 10" ] &&
    echo "ok: phone_keys and session_tokens hold every phone and session" || { echo "FAIL: lookup tables"; fails=$((fails + 1)); }
out=$("$VAULTCTL" fsck 2>&1); check "fsck clean after the migration" 0 $?
contains "fsck finds nothing" "$out" "all consistent"

# ---- where rows are: one partition per user in each table, before and after new writes
colocated() {
    q -c "SELECT count(*) FROM (SELECT user_id, count(DISTINCT substring(tableoid::regclass::text FROM '_p[0-9]+$')) AS k
            FROM (SELECT tableoid, user_id FROM sms UNION ALL SELECT tableoid, user_id FROM mms
                  UNION ALL SELECT tableoid, user_id FROM mms_parts UNION ALL SELECT tableoid, user_id FROM mms_addrs
                  UNION ALL SELECT tableoid, user_id FROM contacts UNION ALL SELECT tableoid, user_id FROM space_grants
                  UNION ALL SELECT tableoid, user_id FROM phones UNION ALL SELECT tableoid, user_id FROM phone_codes
                  UNION ALL SELECT tableoid, user_id FROM sessions) r GROUP BY user_id) g WHERE k <> 1"
}
[ "$(colocated)" = 0 ] && echo "ok: each user's rows are in one partition number of every table" ||
    { echo "FAIL: a user's rows are spread"; fails=$((fails + 1)); }
echo "correct horse newbie" | "$VAULTCTL" user add newbie >/dev/null; check "user add after the migration" 0 $?
archive_fixture "$tmp"
out=$("$VAULTCTL" import newbie "$tmp/in.xml" 2>&1); check "import after the migration" 0 $?
q <<'SQL' >/dev/null || { echo "FAIL: writes after the migration"; fails=$((fails + 1)); }
INSERT INTO phones (user_id, msisdn, msisdn_key) SELECT id, '+8613600000001', '8613600000001' FROM users WHERE username = 'newbie';
INSERT INTO sessions (user_id, token_hash, idle_s, idle_expires, absolute_expires)
SELECT id, sha256('newbie'::bytea), 60, now() + interval '1 minute', now() + interval '1 hour' FROM users WHERE username = 'newbie';
SQL
got=$(q -c "SELECT (SELECT count(*) FROM sms s JOIN users u ON u.id = s.user_id WHERE username = 'newbie') || ' '
                || (SELECT count(*) FROM contacts s JOIN users u ON u.id = s.user_id WHERE username = 'newbie') || ' '
                || (SELECT count(*) FROM mms_parts s JOIN users u ON u.id = s.user_id WHERE username = 'newbie') || ' '
                || (SELECT count(*) FROM space_grants s JOIN users u ON u.id = s.user_id WHERE username = 'newbie')")
[ "$got" = "3 3 3 1" ] && echo "ok: a new user's SMS, contacts, MMS parts and grant are stored" ||
    { echo "FAIL: new user's rows: $got"; fails=$((fails + 1)); }
[ "$(colocated)" = 0 ] && echo "ok: rows written after the migration land in their user's partition" ||
    { echo "FAIL: new rows are spread"; fails=$((fails + 1)); }
# the partition is the one PostgreSQL's hash of the user_id names (not just any one)
bad=$(q -c "SELECT count(*) FROM sms s JOIN users u ON u.id = s.user_id WHERE u.username = 'newbie'
            AND NOT satisfies_hash_partition('sms'::regclass, 16, substring(s.tableoid::regclass::text FROM '[0-9]+$')::int, s.user_id)")
[ "$bad" = 0 ] && echo "ok: the new rows' partition is their user_id's hash" || { echo "FAIL: $bad rows misplaced"; fails=$((fails + 1)); }
seq=$(q -c "SELECT (SELECT max(seq) FROM space_grants g JOIN users u ON u.id = g.user_id WHERE username = 'newbie')
              > (SELECT max(seq) FROM space_grants g JOIN users u ON u.id = g.user_id WHERE username <> 'newbie')")
[ "$seq" = t ] && echo "ok: space_grants.seq goes on from its sequence" || { echo "FAIL: space_grants.seq"; fails=$((fails + 1)); }
out=$("$VAULTCTL" fsck 2>&1); check "fsck clean after new writes" 0 $?

# ---- the global rules still hold: one phone one user, one cookie one session
u1=$(q -c "SELECT id FROM users WHERE username = 'user1'")
u2=$(q -c "SELECT id FROM users WHERE username = 'user2'")
out=$(q -c "INSERT INTO phones (user_id, msisdn, msisdn_key) VALUES ('$u2', '0086 13811', '8613811')" 2>&1)
contains "a number another user holds is refused (23505)" "$out" "phone_keys_pkey"
out=$(q -c "INSERT INTO sessions (user_id, token_hash, idle_s, idle_expires, absolute_expires)
            SELECT '$u2', token_hash, 60, now(), now() FROM sessions WHERE user_id = '$u1' LIMIT 1" 2>&1)
contains "a token another session has is refused (23505)" "$out" "session_tokens_pkey"
q -c "DELETE FROM phones WHERE user_id = '$u1' AND msisdn_key = '8613811'" >/dev/null
q -c "INSERT INTO phones (user_id, msisdn, msisdn_key) VALUES ('$u2', '+8613811', '8613811')" >/dev/null
check "an unbound number can be bound by another user" 0 $?
[ "$(q -c "SELECT user_id FROM phone_keys WHERE msisdn_key = '8613811'")" = "$u2" ] &&
    echo "ok: the number's key follows it to its new user" || { echo "FAIL: phone_keys after rebinding"; fails=$((fails + 1)); }

# ---- one partition read by a query that names its user
one_partition() {   # one_partition "what" explain-output
    local n
    n=$(grep -cE "Scan.* on (sms|phones|sessions|contacts)_p[0-9]+" <<<"$2")
    [ "$n" = 1 ] && echo "ok: $1 reads one partition" || { echo "FAIL: $1 reads $n partitions: $2"; fails=$((fails + 1)); }
}
out=$(q -c "EXPLAIN (COSTS OFF) SELECT n FROM sms WHERE user_id = '$u1' ORDER BY n DESC LIMIT 50")
one_partition "a list of SMS (custom plan)" "$out"
out=$(q -c "SET plan_cache_mode = force_generic_plan" \
        -c "PREPARE l(uuid) AS SELECT n FROM sms WHERE user_id = \$1 ORDER BY n DESC LIMIT 50" \
        -c "EXPLAIN (COSTS OFF) EXECUTE l('$u1')")
contains "a prepared list (generic plan) prunes at start-up" "$out" "Subplans Removed: 15"
out=$(q -c "EXPLAIN (COSTS OFF) SELECT n FROM contacts WHERE user_id = '$u1' AND lower(name) = 'li'")
one_partition "a contact search" "$out"
# the store's lookups by number and by cookie (store/phones.c, sessions.c):
# the partitions the key's user is not in are never executed
out=$(q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT p.msisdn FROM phones p
            WHERE p.msisdn_key = '8613812' AND p.user_id = (SELECT user_id FROM phone_keys WHERE msisdn_key = '8613812')" |
      grep -v "never executed")
one_partition "a phone's owner by number" "$out"
out=$(q -c "BEGIN" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE sessions SET idle_expires = now()
            WHERE token_hash = sha256('user12'::bytea)
              AND user_id = (SELECT user_id FROM session_tokens WHERE token_hash = sha256('user12'::bytea))" -c "ROLLBACK" |
      grep -v "never executed")
one_partition "a session by cookie" "$out"

# ---- the foreign keys still act
q -c "WITH d AS (DELETE FROM mms WHERE user_id = '$u1' AND n = 1 RETURNING size_bytes)
      UPDATE users SET used_bytes = used_bytes - (SELECT size_bytes FROM d) WHERE id = '$u1'" >/dev/null
got=$(q -c "SELECT (SELECT count(*) FROM mms_parts WHERE user_id = '$u1' AND n = 1) || ' '
                || (SELECT count(*) FROM mms_addrs WHERE user_id = '$u1' AND n = 1) || ' '
                || (SELECT count(*) FROM mms_retrievals WHERE user_id = '$u1')")
[ "$got" = "0 0 0" ] && echo "ok: deleting an MMS deletes its parts, addresses and deliveries" ||
    { echo "FAIL: MMS cascade: $got"; fails=$((fails + 1)); }
out=$(q -c "INSERT INTO mms_parts (user_id, n, seq, content_type, data) VALUES ('$u1', 999, 0, 'text/plain', '')" 2>&1)
contains "a part of no MMS is refused" "$out" "mms_parts_user_id_n_fkey"
q -c "DELETE FROM users WHERE id = '$u2'" >/dev/null
got=$(for t in $tables phone_keys session_tokens; do q -c "SELECT count(*) FROM $t WHERE user_id = '$u2'"; done | paste -sd' ')
[ "$got" = "0 0 0 0 0 0 0 0 0 0 0" ] && echo "ok: deleting a user deletes its rows in every table" ||
    { echo "FAIL: user cascade: $got"; fails=$((fails + 1)); }
[ "$(q -c "SELECT count(*) FROM outbox WHERE user_id IS NULL")" = 2 ] && echo "ok: its outbox rows stay, without a user" ||
    { echo "FAIL: outbox after the user's deletion"; fails=$((fails + 1)); }
out=$("$VAULTCTL" fsck 2>&1); check "fsck clean at the end" 0 $?
out=$("$VAULTCTL" migrate 2>&1); check "migrate again" 0 $?
if grep -q "store: migrated" <<<"$out"; then echo "FAIL: migrate applied something again: $out"; fails=$((fails + 1)); fi

store_suite_end
