-- 012_partition_by_user — every table of a user's own data is hash-partitioned
-- by user_id (issue 14; docs/PARTITIONING.md says what it costs and how the
-- same schema maps onto Citus). Runs on a database with data: each table is
-- renamed, a partitioned table of the same name, columns, defaults, checks
-- and storage is made (LIKE), its rows are moved (INSERT ... SELECT, in this
-- migration's one transaction), the old table is dropped, and the keys,
-- indexes and foreign keys are made again with the names they had (after the
-- move: one index build per partition, not one insert per row and index).
-- Nothing here depends on what other migrations numbered 012 or later do to
-- the outbox.
--
-- Partitioned (PARTITION BY HASH (user_id), 16 partitions <table>_p00..p15):
--   sms, mms, mms_parts, mms_addrs — the archive: a user's messages and
--     their parts and addresses (the bulk of the database);
--   contacts — a user's address book, one row per number of a card;
--   space_grants — a user's allocation history;
--   phones, phone_codes — the user's bound numbers and the codes pending to
--     bind one;
--   sessions — the user's web sessions.
-- Their keys already lead with user_id (001), so every primary key, every
-- index and the foreign keys between them (mms_parts and mms_addrs to mms on
-- (user_id, n)) stay as they were. Two unique indexes did not include
-- user_id, and PostgreSQL refuses those on a partitioned table; both serve
-- correctness and are kept by a small unpartitioned lookup table keyed by the
-- column alone, which the partitioned table fills (an insert trigger) and
-- which follows it (a foreign key to it, ON DELETE/UPDATE CASCADE):
--   phones_msisdn_key (msisdn_key) — one phone, one user: phone_keys
--     (msisdn_key PRIMARY KEY, user_id); binding a number another user holds
--     at the same moment still fails with 23505 (STORE_CONFLICT), now on
--     phone_keys_pkey. An MO is routed through it before its user is known.
--   sessions_token (token_hash) — a cookie names one session: session_tokens
--     (token_hash PRIMARY KEY, user_id); a request is looked up there first.
-- With the key found there, the store's lookups by number and by cookie
-- name the user_id too and read one partition (store/phones.c, sessions.c).
--
-- Not partitioned:
--   users — one row per account, the parent every foreign key names, and
--     the holder of the unique folded username (users_username_ci) a login
--     is found by; small, so nothing is gained by splitting it, and a hash on
--     id would need a third lookup table for the name. (Citus: a distributed
--     table on id with a lookup by name, or a reference table: PARTITIONING.md.)
--   server_space — the server's one accounting row.
--   outbox, outbox_instances, mo_seen, mm7_seen, mm7_submissions,
--     mms_retrievals — delivery machinery: the queue, its senders, the
--     de-duplication ledgers, a reply's MM7 submission and the pending
--     direct deliveries of an MMS (looked up by their one-time token). Keyed
--     by queue id, Kannel UUID, MMSC transaction or token, not by a user;
--     short-lived; the outbox work owns them. mms_retrievals keeps its
--     foreign key to mms (user_id, n), made again here on the new mms.
--   login_throttle, phone_code_sends — abuse limits counted per name tried,
--     per number, per client address and in all, not per user; rows live an
--     hour.
--   schema_version — the migrations' bookkeeping.
--
-- Why 16: a hash partitioning's modulus is fixed once rows are in it, so it
-- is chosen for the largest service one database is meant to hold, not for
-- today's: each partition holds 1/16 of the archive (vacuum, index builds
-- and a pg_dump of one table in pieces), a query that names its user reads
-- one partition and plans for 16 stay cheap. A partition can later be split
-- in two (modulus 32, remainders r and r + 16) without touching the others.
--
-- Cost: every partitioned table is locked ACCESS EXCLUSIVE for the whole
-- migration (vaultbox and vaultweb wait, and their MOs wait in bearerbox),
-- and every row is written again once (and WAL'd, and sent to the standby).
-- docs/PARTITIONING.md has the rate measured here.

-- make <t> again as a partitioned table: the old one is renamed
-- <t>_unpartitioned (dropped below), the new one has the same columns,
-- defaults, NOT NULLs, CHECKs and storage, its 16 partitions and its rows
CREATE FUNCTION sv_partition_by_user(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_unpartitioned');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED'
                   ' INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS'
                   ' INCLUDING STATISTICS) PARTITION BY HASH (user_id)', t, t || '_unpartitioned');
    FOR r IN 0..15 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                       t || '_p' || lpad(r::text, 2, '0'), t, r);
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_unpartitioned');
END $$;

-- the one foreign key from outside into these tables
ALTER TABLE mms_retrievals DROP CONSTRAINT mms_retrievals_user_id_mms_n_fkey;

SELECT sv_partition_by_user(t) FROM unnest(ARRAY['space_grants', 'phones', 'phone_codes', 'sms', 'mms',
    'mms_parts', 'mms_addrs', 'contacts', 'sessions']) AS t;
DROP FUNCTION sv_partition_by_user(text);

-- space_grants.seq's sequence (bigserial) goes on: the new column's default
-- is the same nextval; it changes owner before the old table goes with it
ALTER SEQUENCE space_grants_seq_seq OWNED BY NONE;
DROP TABLE space_grants_unpartitioned, phones_unpartitioned, phone_codes_unpartitioned, sms_unpartitioned,
    mms_unpartitioned, mms_parts_unpartitioned, mms_addrs_unpartitioned, contacts_unpartitioned,
    sessions_unpartitioned;
ALTER SEQUENCE space_grants_seq_seq OWNED BY space_grants.seq;

-- keys and indexes, as 001..011 made them
ALTER TABLE space_grants ADD CONSTRAINT space_grants_pkey PRIMARY KEY (user_id, seq);
ALTER TABLE phones ADD CONSTRAINT phones_pkey PRIMARY KEY (user_id, msisdn);
CREATE UNIQUE INDEX phones_msisdn_key ON phones (user_id, msisdn_key);
ALTER TABLE phone_codes ADD CONSTRAINT phone_codes_pkey PRIMARY KEY (user_id, msisdn);
ALTER TABLE sms ADD CONSTRAINT sms_pkey PRIMARY KEY (user_id, n);
CREATE INDEX sms_dup ON sms (user_id, sent_at, peer);
CREATE INDEX sms_search ON sms USING gin (user_id, sv_search_key(body || ' ' || peer) gin_trgm_ops);
ALTER TABLE mms ADD CONSTRAINT mms_pkey PRIMARY KEY (user_id, n);
CREATE INDEX mms_dup ON mms (user_id, sent_at, peer);
ALTER TABLE mms_parts ADD CONSTRAINT mms_parts_pkey PRIMARY KEY (user_id, n, seq);
ALTER TABLE mms_addrs ADD CONSTRAINT mms_addrs_pkey PRIMARY KEY (user_id, n, seq);
ALTER TABLE contacts ADD CONSTRAINT contacts_pkey PRIMARY KEY (user_id, n);
CREATE INDEX contacts_name ON contacts (user_id, lower(name), n);
CREATE INDEX contacts_person ON contacts (user_id, contact_person(uid, name), n);
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (user_id, token_hash);

-- foreign keys, as 001..011 made them
ALTER TABLE space_grants ADD CONSTRAINT space_grants_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE phones ADD CONSTRAINT phones_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE phone_codes ADD CONSTRAINT phone_codes_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE sms ADD CONSTRAINT sms_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE mms ADD CONSTRAINT mms_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE mms_parts ADD CONSTRAINT mms_parts_user_id_n_fkey
    FOREIGN KEY (user_id, n) REFERENCES mms (user_id, n) ON DELETE CASCADE;
ALTER TABLE mms_addrs ADD CONSTRAINT mms_addrs_user_id_n_fkey
    FOREIGN KEY (user_id, n) REFERENCES mms (user_id, n) ON DELETE CASCADE;
ALTER TABLE contacts ADD CONSTRAINT contacts_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE mms_retrievals ADD CONSTRAINT mms_retrievals_user_id_mms_n_fkey
    FOREIGN KEY (user_id, mms_n) REFERENCES mms (user_id, n) ON DELETE CASCADE;

-- One phone, one user. A phone's row inserts its key (the trigger); the key
-- names its phone (the foreign key), so it goes when the phone goes
-- (unbound, moved to another user, its user deleted) and follows a change of
-- number. A key another phone holds makes the insert fail with 23505.
CREATE TABLE phone_keys (
    msisdn_key text PRIMARY KEY,
    user_id uuid NOT NULL,
    FOREIGN KEY (user_id, msisdn_key) REFERENCES phones (user_id, msisdn_key) ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO phone_keys (msisdn_key, user_id) SELECT msisdn_key, user_id FROM phones;
CREATE FUNCTION sv_phone_key_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO phone_keys (msisdn_key, user_id) VALUES (NEW.msisdn_key, NEW.user_id);
    RETURN NULL;
END $$;
CREATE TRIGGER phones_key AFTER INSERT ON phones FOR EACH ROW EXECUTE FUNCTION sv_phone_key_insert();

-- One cookie, one session: the same, for the SHA-256 of a session's token.
CREATE TABLE session_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL,
    FOREIGN KEY (user_id, token_hash) REFERENCES sessions (user_id, token_hash) ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO session_tokens (token_hash, user_id) SELECT token_hash, user_id FROM sessions;
CREATE FUNCTION sv_session_token_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO session_tokens (token_hash, user_id) VALUES (NEW.token_hash, NEW.user_id);
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_token AFTER INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION sv_session_token_insert();

-- the planner's statistics for the new tables (autovacuum analyses the
-- partitions, never a partitioned parent)
ANALYZE space_grants, phones, phone_codes, sms, mms, mms_parts, mms_addrs, contacts, sessions,
    phone_keys, session_tokens;
