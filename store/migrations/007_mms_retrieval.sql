-- 007_mms_retrieval — the direct delivery path of vaultmms (issue 9,
-- "Download", path 2): an archived MMS sent to a handset as a WAP push
-- m-notification-ind, which the handset fetches from a one-time retrieval
-- URL that vaultmms serves (GET /mms/r/<token>).
--
-- One row per delivery. token_hash: SHA-256 of the token's 16 random bytes
-- (CSPRNG); the token itself exists only in the notification SMS, as a web
-- session's exists only in the cookie. The row names the MMS (user_id,
-- mms_n: deleting the MMS deletes its pending deliveries), the phone it was
-- sent to, and the outbox row of the delivery request when there is one
-- (its state follows the handset's answer).
--
-- state: 0 notified (the push is out), 1 fetched (the m-retrieve-conf was
-- served: a second GET finds nothing), 2 delivered (m-notifyresp-ind
-- Retrieved or m-acknowledge-ind), 3 rejected (m-notifyresp-ind Rejected).
-- A row past expires_at answers like an unknown token; it is deleted when
-- its user's next delivery is created.
CREATE TABLE mms_retrievals (
    id bigserial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL,
    mms_n bigint NOT NULL,
    msisdn text NOT NULL,
    outbox_id bigint REFERENCES outbox (id) ON DELETE SET NULL,
    state smallint NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    fetched_at timestamptz,
    answered_at timestamptz,
    FOREIGN KEY (user_id, mms_n) REFERENCES mms (user_id, n) ON DELETE CASCADE
);
CREATE INDEX mms_retrievals_user ON mms_retrievals (user_id, expires_at);
CREATE INDEX mms_retrievals_outbox ON mms_retrievals (outbox_id) WHERE outbox_id IS NOT NULL;
