-- 002_outbox_claims — which vaultbox process holds each SENDING outbox row.
-- Several vaultbox processes share one box id (DESIGN.md "Scaling out"); one
-- that reconnects to bearerbox must requeue only its own in-flight replies,
-- and the replies of a process that died must be requeued by whoever starts
-- (or looks) next. Each running vaultbox is one row of outbox_instances; it
-- holds a session advisory lock (class 1936291425, object lock_key) on the
-- connection that claims, for as long as it lives, and renews seen_at every
-- few seconds. An instance is gone when nobody holds its lock and seen_at is
-- older than the grace period (store_outbox_requeue_orphans in store/outbox.c).

CREATE TABLE outbox_instances (
    id uuid PRIMARY KEY,
    -- the advisory lock's object id; from a sequence, so two instances never share one
    lock_key integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    host text NOT NULL DEFAULT '',
    pid integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now()
);

-- claimed_by: the instance that moved the row to SENDING (kept afterwards as
-- a record of who sent it); NULL on rows claimed before this migration, which
-- are treated as claimed by a gone instance.
ALTER TABLE outbox ADD COLUMN claimed_by uuid, ADD COLUMN claimed_at timestamptz;

-- the requeue of one instance's rows and the sweep of gone instances' rows
-- both look at SENDING rows by claimer
DROP INDEX outbox_sending;
CREATE INDEX outbox_sending ON outbox (claimed_by, id) WHERE state = 1;
