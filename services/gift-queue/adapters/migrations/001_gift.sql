-- Gift queue schema (docs/product.md §8): one row per streamer (the lock that serialises
-- every change of that streamer's queue across replicas), the requests, the
-- idempotency keys and the outbox of mgm.gift.request.changed events.

CREATE TABLE queues (
    streamer_id text PRIMARY KEY
);

CREATE TABLE requests (
    id                  uuid        PRIMARY KEY,
    seq                 bigint      GENERATED ALWAYS AS IDENTITY UNIQUE, -- queue order
    streamer_id         text        NOT NULL REFERENCES queues (streamer_id),
    twitch_user_id      text        NOT NULL,
    twitch_display_name text        NOT NULL DEFAULT '',
    character_name      text        NOT NULL,
    source              text        NOT NULL,
    request_id          text        NOT NULL DEFAULT '',
    status              text        NOT NULL CHECK (status IN ('Pending', 'SelectingItem', 'WaitingConfirmation', 'Completed', 'Failed')),
    reason              text        NOT NULL DEFAULT '',
    offered_items       jsonb       NOT NULL DEFAULT '[]',
    item_id             bigint,
    item_name           text        NOT NULL DEFAULT '',
    item_count          integer     NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    promoted_at         timestamptz,
    selected_at         timestamptz,
    accepted_at         timestamptz,
    completed_at        timestamptz,
    failed_at           timestamptz,
    deadline_at         timestamptz,
    version             bigint      NOT NULL
);

-- The rules, whatever the application does: one request served per streamer, one open
-- request per viewer, one completed gift per viewer.
CREATE UNIQUE INDEX requests_one_active_per_streamer ON requests (streamer_id)
    WHERE status IN ('SelectingItem', 'WaitingConfirmation');
CREATE UNIQUE INDEX requests_one_open_per_viewer ON requests (streamer_id, twitch_user_id)
    WHERE status IN ('Pending', 'SelectingItem', 'WaitingConfirmation');
CREATE UNIQUE INDEX requests_one_completed_per_viewer ON requests (streamer_id, twitch_user_id)
    WHERE status = 'Completed';
CREATE INDEX requests_open ON requests (streamer_id, seq)
    WHERE status IN ('Pending', 'SelectingItem', 'WaitingConfirmation');
CREATE INDEX requests_by_viewer ON requests (streamer_id, twitch_user_id, seq DESC);
CREATE INDEX requests_deadline ON requests (deadline_at) WHERE deadline_at IS NOT NULL;

-- Requests already handled: chat message ids ("chat:<message_id>", refusals too, so a
-- repeated message_id is always ignored) and panel request ids
-- ("api:<streamer>:<user>:<requestId>", successes only).
CREATE TABLE request_keys (
    key        text PRIMARY KEY,
    request_id uuid,
    outcome    text        NOT NULL DEFAULT '', -- '' or the refusal code
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Events committed with the change that caused them; the relay publishes them in
-- order per request with Nats-Msg-Id = event_id.
CREATE TABLE outbox (
    seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text        NOT NULL UNIQUE,
    request_id   uuid        NOT NULL,
    version      bigint      NOT NULL,
    subject      text        NOT NULL,
    payload      jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
