-- 007_outbox_kind — what an outbox row is (issue 13, metrics by kind): a
-- reply to a command (0), a phone-binding code (1), or an item sent to the
-- phone on request (2: GET, the web page's "send to my phone"). vaultbox
-- counts the MT it submits and the reports it applies by this kind. Rows
-- queued before this column existed are taken for replies.
--
-- The partial index lets the metrics poller count the rows that wait for a
-- delivery report (submitted) without reading the whole table, as the
-- existing ones do for queued and sending.

ALTER TABLE outbox ADD COLUMN kind smallint NOT NULL DEFAULT 0 CHECK (kind BETWEEN 0 AND 2);
CREATE INDEX outbox_submitted ON outbox (id) WHERE state = 2;
