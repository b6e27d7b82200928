-- 006_abuse_limits — issue 11, points 1 and 2: no account oracle, no SMS
-- pumping through phone-linking codes.
--
-- login_throttle: failed logins counted per name tried, whether or not it
-- is an account, so that a name nobody has is slowed down exactly like a
-- real one (store/users.c). Keyed by the SHA-256 of the name folded as
-- usernames are compared (ASCII letters lowered: lower(username) of the
-- users_username_ci index for every name the rules allow) — fixed-size rows
-- whatever was typed, and what someone typed into the name field (often a
-- password) is not kept in clear. A row is forgotten at forget_at (an hour
-- after its wait ends); each failure deletes a few forgotten rows, so the
-- table holds only names tried in about the last hour. The per-account
-- counter of 001 goes: one throttle, not two; counts in progress move over.
CREATE TABLE login_throttle (
    name_hash bytea PRIMARY KEY CHECK (length(name_hash) = 32),
    failures integer NOT NULL CHECK (failures > 0),
    throttled_until timestamptz,
    forget_at timestamptz NOT NULL
);
CREATE INDEX login_throttle_forget ON login_throttle (forget_at);
INSERT INTO login_throttle (name_hash, failures, throttled_until, forget_at)
SELECT sha256(convert_to(lower(username), 'UTF8')), failed_logins, throttled_until,
       greatest(now(), coalesce(throttled_until, now())) + interval '1 hour'
  FROM users WHERE failed_logins > 0;
ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN throttled_until;

-- phone_code_sends: one row per code texted from the web, for the hourly
-- limits per account, per number (msisdn_key, as phones), per client
-- address and in all (store/phones.c). Rows older than an hour are deleted
-- before each send, so the table never holds more than the hourly budget.
-- No foreign key: a deleted account's sends still count for its number and
-- address.
CREATE TABLE phone_code_sends (
    sent_at timestamptz NOT NULL DEFAULT now(),
    user_id uuid NOT NULL,
    msisdn_key text NOT NULL,
    client text NOT NULL
);
CREATE INDEX phone_code_sends_at ON phone_code_sends (sent_at);

-- Wrong tries belong to the (account, number) pair, not to one code: a new
-- code keeps phone_codes.tries while tries_until (an hour after the last
-- wrong try) has not passed.
ALTER TABLE phone_codes ADD COLUMN tries_until timestamptz;

-- outbox.secret: the row's text is a one-time code; it is emptied once the
-- row leaves the queue for good (bearerbox accepted it, a report came, or it
-- failed), while phone_codes keeps only a hash. Codes queued before this
-- migration are recognised by the text web/auth.c writes.
ALTER TABLE outbox ADD COLUMN secret boolean NOT NULL DEFAULT false;
UPDATE outbox SET secret = true WHERE user_id IS NOT NULL AND text LIKE 'smsvault code: %';
UPDATE outbox SET text = '' WHERE secret AND state >= 2;
