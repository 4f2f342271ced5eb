-- One row per account the deployment holds Twitch tokens for (docs/product.md §12).
-- Tokens are sealed with AES-256-GCM under MGM_TOKEN_KEY; nothing here is readable
-- without it.
CREATE TABLE grants (
	role         text PRIMARY KEY CHECK (role IN ('broadcaster', 'bot')),
	user_id      text NOT NULL,
	login        text NOT NULL DEFAULT '',
	access_enc   bytea NOT NULL,
	refresh_enc  bytea NOT NULL,
	scopes       text[] NOT NULL DEFAULT '{}',
	expires_at   timestamptz,
	validated_at timestamptz,
	-- Set when Twitch refused the grant (refresh token refused, token invalid): the
	-- backend stops asking until someone logs in again.
	problem      text NOT NULL DEFAULT '',
	version      bigint NOT NULL DEFAULT 1,
	updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A value sealed with the key, to tell a wrong MGM_TOKEN_KEY from a missing one.
CREATE TABLE key_check (
	id     int PRIMARY KEY CHECK (id = 1),
	sealed bytea NOT NULL
);
