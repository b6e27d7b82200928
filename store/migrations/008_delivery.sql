-- 008_delivery — one way to deliver an archived item to a phone, binary MT
-- (Smart Messaging business cards), and what a business card says about
-- each number (issue 8). Existing outbox rows are text rows and stay valid.
--
-- outbox.kind says what a row is:
--   0 text     — an MT text (every row before this migration): text
--   1 request  — "send item (item_kind, item_n) of user_id to msisdn",
--                written by GET and by the web's "send to my phone"; no text
--   2 binary   — an 8-bit MT: udh (with its length octet, may be NULL),
--                data, coding (Kannel's: 1 = 8-bit)
-- A request is rendered by the sender that claims its channel, at send time:
-- in one transaction its concrete MT are inserted as rows of kind 0 or 2
-- with parent_id = the request, and the request moves to state 5
-- (rendered: its state is then its children's, store_outbox_state) — or to
-- state 4 (failed, reason says why) when the item was deleted before it
-- could be sent, with a notice for the phone as its child.
-- channel: which sender claims the row: 'sms' (vaultbox) or 'mms' (vaultmms).
-- Replies to a GET are sent in request order: children sort at their
-- request's place (coalesce(parent_id, id)).

ALTER TABLE outbox
    ADD COLUMN kind smallint NOT NULL DEFAULT 0 CHECK (kind BETWEEN 0 AND 2),
    ADD COLUMN channel text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'mms')),
    ADD COLUMN item_kind smallint CHECK (item_kind BETWEEN 0 AND 2),
    ADD COLUMN item_n bigint,
    ADD COLUMN parent_id bigint REFERENCES outbox (id) ON DELETE CASCADE,
    ADD COLUMN udh bytea,
    ADD COLUMN data bytea,
    ADD COLUMN coding smallint CHECK (coding BETWEEN 0 AND 2),
    ALTER COLUMN text DROP NOT NULL;

-- states: 0 queued, 1 sending, 2 submitted, 3 delivered, 4 failed, 5 rendered (requests only)
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state BETWEEN 0 AND 5);
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_fields CHECK (
    (kind = 0 AND text IS NOT NULL AND data IS NULL) OR
    (kind = 1 AND text IS NULL AND item_kind IS NOT NULL AND item_n IS NOT NULL AND parent_id IS NULL) OR
    (kind = 2 AND text IS NULL AND data IS NOT NULL AND coding IS NOT NULL));

-- what a sender claims: concrete rows of its channel, in request order
DROP INDEX outbox_queued;
CREATE INDEX outbox_ready ON outbox (channel, (coalesce(parent_id, id)), id) WHERE state = 0 AND kind <> 1;
-- what it renders first: the requests of its channel
CREATE INDEX outbox_requests ON outbox (channel, id) WHERE state = 0 AND kind = 1;
-- a request's children (its derived state; the cascade when it goes)
CREATE INDEX outbox_children ON outbox (parent_id) WHERE parent_id IS NOT NULL;

-- contacts: one row per number of a card. tel_types: the TEL's type
-- parameters as the card gave them, upper case, comma-separated
-- ("CELL,PREF"; '' when none or not from a card); uid: the card's UID ('' when
-- it had none). Kept for a view of people rather than rows (a person keyed by
-- UID or name, numbers told apart by type); the current-number rule does not
-- read them: the newest upload is current, and within one card the PREF
-- number (else the first) is stored last.
ALTER TABLE contacts
    ADD COLUMN tel_types text NOT NULL DEFAULT '',
    ADD COLUMN uid text NOT NULL DEFAULT '';
