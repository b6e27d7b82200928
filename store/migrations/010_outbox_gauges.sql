-- 010_outbox_gauges — indexes for the metrics' outbox gauges (issue 13):
-- vaultbox's poller and vaultctl status count the rows still on their way
-- and read the age of the oldest queued one every few seconds. Queued rows
-- (requests included) and submitted rows, which wait for a delivery report,
-- get partial indexes of their own, as sending rows have (002), so that the
-- counts never read the delivered and failed history. No column changes:
-- what an MT is for (reply, code, item) is derived from secret, kind and
-- parent_id (PURPOSE_SQL in store/outbox.c).

CREATE INDEX outbox_waiting ON outbox (id) WHERE state = 0;
CREATE INDEX outbox_submitted ON outbox (id) WHERE state = 2;
