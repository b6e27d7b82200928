-- 013_outbox_handover — replies handed over in memory (issue 12). vaultbox's
-- MO workers insert a reply already SENDING, claimed by their own instance
-- (claimed_by, claimed_at), and give it to the sender after the commit: no
-- claim transaction, no NOTIFY, no outbox_ready / outbox_waiting entry. A
-- reply is handed over only when no row to the same phone still waits queued
-- on the sms channel (a request GET wrote, a retry, a row requeued after a
-- reconnect); otherwise it queues behind that row as before, so that a
-- phone's replies keep their order. This index answers that question for
-- each reply: queued rows by phone (a few at a time, normally).
-- Nothing else changes: a handed-over row is SENDING like a claimed one, and
-- a reconnect or the instance's death requeues it the same way (002).

CREATE INDEX outbox_phone_queued ON outbox (channel, msisdn) WHERE state = 0;

-- Room on each page for the new versions of its rows: every state change
-- (claim, ack, report) is an update that cannot be HOT (state is in the
-- predicates of the partial indexes above and of 001/002/008/010), and a
-- new version that does not fit on its page costs a lock record on the old
-- one and a second page (Heap/LOCK outbox: 0.3 per SAVE with reports off,
-- 0.7 with them, measured). Applies to pages filled from now on.
ALTER TABLE outbox SET (fillfactor = 70);
