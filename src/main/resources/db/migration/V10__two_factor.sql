-- A user's confirmed authenticator app: at most one secret per user (re-configure replaces it).
-- The secret is sealed (AES-256-GCM, "v1.<key id>.<…>", bound to "totp:<user id>"), never stored plain.
CREATE TABLE totp_credentials (
  user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret       text NOT NULL,
  -- The replay guard: the last accepted time step; only a later step is ever accepted again.
  last_step    bigint NOT NULL,
  enabled_at   timestamptz NOT NULL DEFAULT now(),   -- when 2FA was first turned on
  replaced_at  timestamptz,                          -- when the secret was last re-configured
  last_used_at timestamptz
);

-- A setup in progress: a new secret shown once, waiting for a code from it; 15 minutes to live.
CREATE TABLE totp_setups (
  user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

-- The current set of recovery codes. Sealed so they can be shown again (bound to "recovery:<user id>"),
-- plus a keyed HMAC of the normalised code so a submitted code is found and spent by one UPDATE.
CREATE TABLE recovery_codes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position   smallint NOT NULL,
  code       text NOT NULL,
  lookup     bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz,
  UNIQUE (user_id, position),
  UNIQUE (user_id, lookup)
);
