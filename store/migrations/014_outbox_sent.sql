-- 014_outbox_sent — a state for an MT that bearerbox accepted when no
-- delivery report was asked for ([box] dlr_mask without delivered or
-- failed): 6, sent. No report will come for it, so it is final. Before,
-- such a row stayed submitted (2) for ever: the metrics' outbox gauge
-- (smsvault_outbox_messages{state="submitted"}, vaultctl status), which is
-- meant to count the MT still waiting for a report, counted every reply
-- ever sent with reports off, and its partial index (outbox_submitted, 010)
-- took an entry per reply and read all of them every few seconds (issue 12).
-- Rows already submitted stay as they are: nothing says whether a report
-- was asked for them.

ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state BETWEEN 0 AND 6);
