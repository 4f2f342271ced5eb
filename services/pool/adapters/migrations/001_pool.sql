-- Pool service schema. Viewer facts (eligibility inputs) live apart from pool membership so
-- that leaving the pool (Sent) never loses a viewer's lifetime total or payout history.

-- One row, locked FOR UPDATE by every changing transaction: it serialises writers so the
-- dense draw slots stay gap-free, and its counters and version are the pool's statistics
-- (O(1) to read, version in commit order for the compare-and-set KV write).
CREATE TABLE pool_state (
    id             smallint PRIMARY KEY CHECK (id = 1),
    version        bigint      NOT NULL DEFAULT 0,
    pool_size      bigint      NOT NULL DEFAULT 0,
    eligible_count bigint      NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pool_state (id) VALUES (1);

CREATE TABLE viewers (
    twitch_user_id     text PRIMARY KEY,
    display_name       text        NOT NULL DEFAULT '',
    active_payout_id   text,
    lifetime_sent_gold bigint      NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Pool membership. slot numbers the eligible members densely 0..eligible_count-1, so a
-- uniform draw is one random number and one index lookup at any pool size.
CREATE TABLE members (
    twitch_user_id text PRIMARY KEY REFERENCES viewers (twitch_user_id),
    display_name   text        NOT NULL DEFAULT '',
    character_name text        NOT NULL,
    folded_name    text        NOT NULL,
    slot           bigint,
    enrolled_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX members_folded_name_key ON members (folded_name);
CREATE UNIQUE INDEX members_slot_key ON members (slot) WHERE slot IS NOT NULL;

-- Latest known state of each payout (from the payout service's events), applied only
-- when its version is newer: duplicates and out-of-order deliveries change nothing.
CREATE TABLE payouts (
    payout_id      text PRIMARY KEY,
    twitch_user_id text   NOT NULL,
    status         text   NOT NULL,
    version        bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_active_idx ON payouts (twitch_user_id) WHERE status IN ('Pending', 'InProgress');

-- Enrollment requests already handled: chat message ids ("chat:<message_id>") and claim
-- ids ("claim:<user>:<enrollmentRequestId>"), checked and inserted in the enrolling
-- transaction. outcome is "" for success or the refusal code.
CREATE TABLE enrollment_requests (
    request_key    text PRIMARY KEY,
    twitch_user_id text        NOT NULL,
    character_name text        NOT NULL,
    outcome        text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Events committed with the change that caused them, relayed to JetStream in id order
-- (Nats-Msg-Id = envelope id) and deleted once acknowledged.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    envelope_id text  NOT NULL,
    subject     text  NOT NULL,
    envelope    bytea NOT NULL
);

-- One draw per spin cycle: a repeated draw request for the same cycle answers the same
-- candidate (twitch_user_id NULL = nobody was eligible).
CREATE TABLE draws (
    spin_cycle_id  text PRIMARY KEY,
    twitch_user_id text,
    display_name   text,
    character_name text,
    eligible_count bigint      NOT NULL,
    drawn_at       timestamptz NOT NULL DEFAULT now()
);
