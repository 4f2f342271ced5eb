-- The payout event store (append-only; also the outbox the relay publishes from),
-- the payouts read model and the per-user totals, all written in one transaction.

CREATE TABLE payout_events (
    seq                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_id           uuid        PRIMARY KEY,
    payout_id          uuid        NOT NULL,
    version            bigint      NOT NULL CHECK (version > 0),
    type               text        NOT NULL,
    data               jsonb       NOT NULL,
    occurred_at        timestamptz NOT NULL,
    lifetime_sent_gold bigint      NOT NULL, -- the owner's Sent gold after this event
    published_at       timestamptz,          -- NULL until the relay published it to JetStream
    UNIQUE (payout_id, version)
);

CREATE INDEX payout_events_unpublished ON payout_events (seq) WHERE published_at IS NULL;

CREATE TABLE payouts (
    id                  uuid        PRIMARY KEY,
    seq                 bigint      GENERATED ALWAYS AS IDENTITY UNIQUE, -- creation order, breaks created_at ties
    twitch_user_id      text        NOT NULL,
    twitch_display_name text        NOT NULL,
    character_name      text        NOT NULL,
    gold_amount         bigint      NOT NULL,
    spin_cycle_id       text        NOT NULL UNIQUE,
    status              text        NOT NULL CHECK (status IN ('Pending', 'InProgress', 'Sent', 'Failed', 'Cancelled', 'Expired')),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    accepted_at         timestamptz,
    reward_announced    boolean     NOT NULL DEFAULT false,
    version             bigint      NOT NULL
);

-- At most one active payout per Twitch user, whatever the application does.
CREATE UNIQUE INDEX payouts_one_active_per_user ON payouts (twitch_user_id)
    WHERE status IN ('Pending', 'InProgress');
CREATE INDEX payouts_by_user ON payouts (twitch_user_id, created_at DESC, seq DESC);
CREATE INDEX payouts_active_by_age ON payouts (created_at, seq)
    WHERE status IN ('Pending', 'InProgress');

-- One row per user who ever won: the lock that serialises every change to that user's
-- payouts (create, status, accept, expiry) and the lifetime Sent total the cap counts.
CREATE TABLE payout_users (
    twitch_user_id     text   PRIMARY KEY,
    lifetime_sent_gold bigint NOT NULL DEFAULT 0
);
