-- gen_big.sql — a large archive for scripts/bench_big.sh (issue 12): :users
-- users, the first of them "heavy" with :heavy SMS, the others sharing the
-- rest of :sms SMS evenly; :mms MMS (one text part each) and :contacts
-- contacts spread over all users; every user with one phone
-- (8613900000000 + user number - 1, as scripts/bench.sh's load phones) and
-- the password hash :'hash' (one real argon2id hash, made by vaultctl), so
-- any of them can log in. Space is charged as the store would have charged
-- it (used_bytes = the items' sizes, the allocation grown by the [quota]
-- defaults, one space_grants row per step, server_space their sum), so
-- vaultctl fsck finds nothing. Run with psql -v users=... on a database that
-- vaultctl migrate made and that holds no user yet.
--
-- It writes with INSERT ... SELECT from generate_series on the server (no
-- rows cross the wire; that is faster than COPY from a client), in primary
-- key order, with the secondary indexes dropped first and built after.
--
-- Texts: "message <n> " and two phrases from a small list (English,
-- Chinese, emoji); the heavy user's SMS :heavy/2 also holds the rare word
-- "zebrafish" and its SMS :heavy/3 the rare Chinese word "冰淇淋".
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

DROP INDEX IF EXISTS sms_dup, sms_search, mms_dup, contacts_name;

INSERT INTO users (id, username, password_hash, allocated_bytes)
SELECT md5('sv-big-user-' || u)::uuid, 'big' || u, :'hash', 0
FROM generate_series(1, :users) u;

INSERT INTO phones (user_id, msisdn, msisdn_key)
SELECT md5('sv-big-user-' || u)::uuid, '+' || (8613900000000 + u - 1), (8613900000000 + u - 1)::text
FROM generate_series(1, :users) u;

CREATE TEMP TABLE phrase (k int PRIMARY KEY, t text);
INSERT INTO phrase VALUES (0, 'see you at 3'), (1, '你好'), (2, '明天开会'), (3, '晚安 😀'),
    (4, 'ok 👍'), (5, 'lunch today?'), (6, '下午三点见'), (7, 'call me back');

-- the heavy user
INSERT INTO sms (user_id, n, peer, body, sent_at, saved_at, size_bytes, source)
SELECT md5('sv-big-user-1')::uuid, n, '+86138' || lpad((n % 997)::text, 8, '0'), b,
       timestamptz '2020-01-01' + n * interval '1 minute', timestamptz '2020-01-01' + n * interval '1 minute',
       octet_length(b), 'import'
FROM (SELECT n, 'message ' || n || ' ' || p1.t || ' ' || p2.t
             || CASE WHEN n = :heavy / 2 THEN ' zebrafish' WHEN n = :heavy / 3 THEN ' 冰淇淋' ELSE '' END AS b
      FROM generate_series(1, :heavy) n
      JOIN phrase p1 ON p1.k = n % 8 JOIN phrase p2 ON p2.k = (n / 8) % 8) x;

-- everyone else: (sms - heavy) / (users - 1) each
INSERT INTO sms (user_id, n, peer, body, sent_at, saved_at, size_bytes, source)
SELECT md5('sv-big-user-' || u)::uuid, n, '+86138' || lpad(((u + n) % 997)::text, 8, '0'), b,
       timestamptz '2021-01-01' + n * interval '1 hour', timestamptz '2021-01-01' + n * interval '1 hour',
       octet_length(b), 'import'
FROM (SELECT u, n, 'message ' || n || ' ' || p1.t || ' ' || p2.t AS b
      FROM generate_series(2, :users) u, generate_series(1, (:sms - :heavy) / greatest(:users - 1, 1)) n,
           LATERAL (SELECT t FROM phrase WHERE k = (u + n) % 8) p1,
           LATERAL (SELECT t FROM phrase WHERE k = (u * 3 + n) % 8) p2) x;

-- MMS: one text part each, round robin over the users
INSERT INTO mms (user_id, n, peer, subject, text, saved_at, size_bytes, nparts, source)
SELECT md5('sv-big-user-' || (1 + (i - 1) % :users))::uuid, 1 + (i - 1) / :users, '+8613700000001',
       'photo', 'photo ' || i, now(), octet_length('photo ' || i), 1, 'import'
FROM generate_series(1, :mms) i;
INSERT INTO mms_parts (user_id, n, seq, content_type, name, data)
SELECT user_id, n, 0, 'text/plain', 'text.txt', convert_to(text, 'UTF8') FROM mms;

-- contacts
INSERT INTO contacts (user_id, n, name, number, vcard, uploaded_at, size_bytes, source)
SELECT md5('sv-big-user-' || (1 + (i - 1) % :users))::uuid, 1 + (i - 1) / :users, 'Friend ' || i,
       '+86137' || lpad(i::text, 8, '0'), v, now(), octet_length(v), 'import'
FROM (SELECT i, 'BEGIN:VCARD' || E'\r\n' || 'VERSION:3.0' || E'\r\n' || 'FN:Friend ' || i || E'\r\n'
             || 'TEL:+86137' || lpad(i::text, 8, '0') || E'\r\n' || 'END:VCARD' || E'\r\n' AS v
      FROM generate_series(1, :contacts) i) x;

-- charge it: used = the items, next numbers after the last, the allocation
-- the defaults (initial 10 MiB, grown by 10 MiB steps while less than 1 MiB
-- would be left) would have reached, one grant per step
CREATE TEMP TABLE used AS
SELECT u.id, coalesce(a.b, 0) + coalesce(m.b, 0) + coalesce(c.b, 0) AS used,
       coalesce(a.n, 0) AS ms, coalesce(m.n, 0) AS mm, coalesce(c.n, 0) AS mc
FROM users u
LEFT JOIN (SELECT user_id, sum(size_bytes) AS b, max(n) AS n FROM sms GROUP BY user_id) a ON a.user_id = u.id
LEFT JOIN (SELECT user_id, sum(size_bytes) AS b, max(n) AS n FROM mms GROUP BY user_id) m ON m.user_id = u.id
LEFT JOIN (SELECT user_id, sum(size_bytes) AS b, max(n) AS n FROM contacts GROUP BY user_id) c ON c.user_id = u.id;
UPDATE users u SET used_bytes = x.used,
       allocated_bytes = 10485760 + 10485760 * greatest(0, ceil((x.used + 1048576 - 10485760) / 10485760.0))::bigint,
       next_sms = x.ms + 1, next_mms = x.mm + 1, next_contact = x.mc + 1
FROM used x WHERE x.id = u.id;
INSERT INTO space_grants (user_id, at, initial, bytes_added, allocated_after)
SELECT id, created_at, true, 10485760, 10485760 FROM users;
INSERT INTO space_grants (user_id, at, initial, bytes_added, allocated_after)
SELECT id, created_at, false, 10485760, 10485760 * (1 + k)
FROM users, generate_series(1, (allocated_bytes / 10485760 - 1)::int) k;
UPDATE server_space SET allocated_bytes = (SELECT sum(allocated_bytes) FROM users);

CREATE INDEX sms_dup ON sms (user_id, sent_at, peer);
CREATE INDEX mms_dup ON mms (user_id, sent_at, peer);
CREATE INDEX contacts_name ON contacts (user_id, lower(name), n);
CREATE INDEX sms_search ON sms USING gin (user_id, sv_search_key(body || ' ' || peer) gin_trgm_ops);
VACUUM ANALYZE;
