-- 001_init — the first smsvault schema (DESIGN.md "Data model").
-- Every table holding a user's data leads its primary key with user_id so the
-- schema can later be hash-partitioned or distributed by user unchanged.
-- mo_seen and outbox are delivery machinery, not a user's archive: they are
-- keyed by Kannel UUID and by queue id. An applied migration is never edited.

-- Server capacity accounting: the sum of all allocations. One row, locked only
-- when an allocation is created or grows (the user's row lock comes first).
CREATE TABLE server_space (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    allocated_bytes bigint NOT NULL DEFAULT 0 CHECK (allocated_bytes >= 0)
);
INSERT INTO server_space (id, allocated_bytes) VALUES (true, 0);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    username text NOT NULL,
    password_hash text NOT NULL,
    lang text NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
    allocated_bytes bigint NOT NULL CHECK (allocated_bytes >= 0),
    used_bytes bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    -- next per-user number of each kind; numbers are never reused
    next_sms bigint NOT NULL DEFAULT 1,
    next_mms bigint NOT NULL DEFAULT 1,
    next_contact bigint NOT NULL DEFAULT 1,
    failed_logins integer NOT NULL DEFAULT 0,
    throttled_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_ci ON users (lower(username));

-- Growth history; the initial allocation is the first entry.
CREATE TABLE space_grants (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq bigserial,
    at timestamptz NOT NULL DEFAULT now(),
    initial boolean NOT NULL DEFAULT false,
    bytes_added bigint NOT NULL,
    allocated_after bigint NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE TABLE phones (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    msisdn text NOT NULL,
    bound_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (user_id, msisdn)
);
-- one MSISDN belongs to one user
CREATE UNIQUE INDEX phones_msisdn ON phones (msisdn);

CREATE TABLE phone_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    msisdn text NOT NULL,
    code_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    tries integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, msisdn)
);

-- Keyset paging walks the primary key (user_id, n) backwards: newest first.
CREATE TABLE sms (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    n bigint NOT NULL,
    peer text NOT NULL DEFAULT '',
    body text NOT NULL,
    sent_at timestamptz,
    saved_at timestamptz NOT NULL DEFAULT now(),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    source text NOT NULL,
    PRIMARY KEY (user_id, n)
);
CREATE INDEX sms_dup ON sms (user_id, sent_at, peer);

CREATE TABLE mms (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    n bigint NOT NULL,
    peer text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    text text NOT NULL DEFAULT '',   -- text/plain parts joined: preview and search
    sent_at timestamptz,
    saved_at timestamptz NOT NULL DEFAULT now(),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    nparts integer NOT NULL,
    source text NOT NULL,
    PRIMARY KEY (user_id, n)
);
CREATE INDEX mms_dup ON mms (user_id, sent_at, peer);

CREATE TABLE mms_parts (
    user_id uuid NOT NULL,
    n bigint NOT NULL,
    seq integer NOT NULL,
    content_type text NOT NULL,
    name text NOT NULL DEFAULT '',
    data bytea NOT NULL,
    PRIMARY KEY (user_id, n, seq),
    FOREIGN KEY (user_id, n) REFERENCES mms (user_id, n) ON DELETE CASCADE
);

-- patent: a person's current number is the newest upload (highest n per name)
CREATE TABLE contacts (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    n bigint NOT NULL,
    name text NOT NULL,
    number text NOT NULL,
    vcard text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    source text NOT NULL,
    PRIMARY KEY (user_id, n)
);
CREATE INDEX contacts_name ON contacts (user_id, lower(name), n);

CREATE TABLE mo_seen (
    kannel_uuid text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);

-- state: 0 queued, 1 sending, 2 submitted, 3 delivered, 4 failed
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    msisdn text NOT NULL,
    text text NOT NULL,
    state smallint NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),
    attempts integer NOT NULL DEFAULT 0,
    not_before timestamptz NOT NULL DEFAULT now(),
    kannel_uuid text,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_queued ON outbox (id) WHERE state = 0;
CREATE INDEX outbox_sending ON outbox (id) WHERE state = 1;

-- only a SHA-256 of the token is stored
CREATE TABLE sessions (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    idle_s integer NOT NULL,
    idle_expires timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL,
    PRIMARY KEY (user_id, token_hash)
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
