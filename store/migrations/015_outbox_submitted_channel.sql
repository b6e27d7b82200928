-- 015_outbox_submitted_channel — the partial index of submitted rows (010)
-- by channel, then id. Each sender's sweep of the rows whose delivery
-- report never came (store_outbox_settle_unreported, [box] / [mms]
-- report_wait) reads the oldest submitted rows of its own channel: a
-- bounded read, however many rows of the other channel wait for theirs
-- (an SMSC that sends no reports at all). The gauges' count of submitted
-- rows reads it as before.

DROP INDEX outbox_submitted;
CREATE INDEX outbox_submitted ON outbox (channel, id) WHERE state = 2;
