-- One row per payout whose Sent status was seen: the at-most-once marker of its reward
-- announcement and, when it failed, the durable failure record an operator replays.
CREATE TABLE announcements (
    payout_id        text PRIMARY KEY,
    character_name   text NOT NULL,
    message          text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'posting', 'posted', 'failed', 'unknown')),
    claimed_by       text,
    claimed_at       timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    replays          integer NOT NULL DEFAULT 0,
    helix_message_id text NOT NULL DEFAULT '',
    reason           text NOT NULL DEFAULT '',
    posted_at        timestamptz,
    failed_at        timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE INDEX announcements_attention ON announcements (updated_at)
    WHERE state <> 'posted';
