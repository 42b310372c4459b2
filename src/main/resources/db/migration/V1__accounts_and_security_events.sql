-- Accounts: one row per person; the email is stored normalised (trimmed, lower case).
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  password_hash text,                      -- Argon2id encoded string; NULL for SSO-only accounts
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- What happened to an account, for the user's own security log.
CREATE TABLE security_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type        text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  ip          text,
  user_agent  text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX security_events_user_time ON security_events (user_id, occurred_at DESC, id DESC);
CREATE INDEX security_events_time ON security_events (occurred_at);
