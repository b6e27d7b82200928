-- 005_mm7 — what vaultmms, the MM7 gateway plugin (issue 9), keeps besides
-- the MMS itself.
--
-- mms_parts.content_id: a part's Content-ID (without <>), so that a SMIL
-- part's src="cid:..." still finds its part when the MMS goes back to a
-- phone. '' for parts that had none (and for every part stored before).
ALTER TABLE mms_parts ADD COLUMN content_id text NOT NULL DEFAULT '';

-- mm7_seen: every DeliverReq answered, keyed by the MMSC (its [mmsc.NAME]
-- in smsvault.conf) and its TransactionID. Written in the transaction that
-- stores the MMS (or decides not to), before vaultmms answers, so that a
-- DeliverReq the MMSC sends again — it got no answer, or not 1000 — is
-- answered as the first time and takes effect once (the reliability model,
-- like mo_seen for vaultbox). digest: hex SHA-256 of the sender, subject and
-- parts as parsed, to tell a retry from a TransactionID an MMSC used again
-- for another message. status: the MM7 status code answered. mms_n: the MMS
-- stored (NULL: none — an unbound phone, no space). linked_id: the MMSC's
-- LinkedID, for a later SubmitReq in reply (charging).
CREATE TABLE mm7_seen (
    mmsc text NOT NULL,
    transaction_id text NOT NULL,
    digest text NOT NULL,
    status integer NOT NULL,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    mms_n bigint,
    linked_id text,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mmsc, transaction_id)
);

-- mm7_submissions: the SubmitReq that carried an outbox row to an MMSC and
-- the MessageID the MMSC gave it, so that its DeliveryReportReq finds the
-- row. A row submitted again (after a retry) keeps its latest MessageID.
CREATE TABLE mm7_submissions (
    outbox_id bigint PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    mmsc text NOT NULL,
    message_id text NOT NULL,
    mm_status text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    reported_at timestamptz
);
CREATE UNIQUE INDEX mm7_submissions_message ON mm7_submissions (mmsc, message_id);
