-- One row per spin boundary. The UNIQUE boundary (and the id derived from it) is what
-- makes "one draw per boundary" hold with several replicas.
CREATE TABLE cycles (
    spin_cycle_id       uuid PRIMARY KEY,
    boundary_at         timestamptz NOT NULL,
    interval_ms         bigint NOT NULL,
    verify_deadline     timestamptz NOT NULL,
    state               text NOT NULL CHECK (state IN ('pending', 'awaiting', 'empty', 'missed', 'completed')),
    drawn_at            timestamptz,
    eligible_count      integer NOT NULL DEFAULT 0,
    twitch_user_id      text,
    twitch_display_name text,
    character_name      text,
    outcome             text CHECK (outcome IN ('winner', 'offline', 'no_report')),
    payout_id           text,
    completed_at        timestamptz,
    -- Outbox flags: the drawn/completed events are published after commit and marked
    -- here; any replica's tick republishes what is unmarked (same Nats-Msg-Id).
    drawn_published     boolean NOT NULL DEFAULT false,
    completed_published boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cycles_boundary_key UNIQUE (boundary_at),
    CONSTRAINT cycles_candidate_when_awaiting CHECK (state NOT IN ('awaiting', 'completed') OR character_name IS NOT NULL),
    CONSTRAINT cycles_outcome_when_completed CHECK ((state = 'completed') = (outcome IS NOT NULL)),
    CONSTRAINT cycles_payout_when_winner CHECK ((outcome = 'winner') = (payout_id IS NOT NULL))
);

CREATE INDEX cycles_awaiting_deadline ON cycles (verify_deadline) WHERE state = 'awaiting';
CREATE INDEX cycles_drawn_boundary ON cycles (boundary_at) WHERE drawn_at IS NOT NULL;
CREATE INDEX cycles_completed_boundary ON cycles (boundary_at) WHERE outcome IS NOT NULL;
CREATE INDEX cycles_unpublished ON cycles (boundary_at)
    WHERE (drawn_at IS NOT NULL AND NOT drawn_published) OR (outcome IS NOT NULL AND NOT completed_published);

-- The snapshot version: bumped by every transaction that changes what the snapshot
-- shows, under this row's lock, so versions follow commit order.
CREATE TABLE state_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL
);
INSERT INTO state_version (id, version) VALUES (true, 0);
