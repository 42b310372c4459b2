-- HTTP sessions (docs/security.md 28-31): any node serves any session, a restart signs nobody out.
-- A row exists only once someone has started signing in (password step or SSO start); anonymous
-- visitors have none. The key is a SHA-256 of the session id: a dump of this table hands out no
-- cookie that works.
CREATE TABLE sessions (
  id_hash             bytea PRIMARY KEY,
  handle              uuid NOT NULL UNIQUE,        -- what the API calls the session; never the cookie
  user_id             uuid REFERENCES users (id) ON DELETE CASCADE,          -- signed in
  pending_user_id     uuid REFERENCES users (id) ON DELETE CASCADE,          -- password given, second step owed
  data                jsonb NOT NULL,
  method              text,                        -- how it signed in: password, totp, recovery_code, sso
  user_agent          text,
  address             text,
  created_at          timestamptz NOT NULL,
  last_seen_at        timestamptz NOT NULL,        -- written at most about once a minute
  idle_expires_at     timestamptz NOT NULL,        -- last seen + 30 minutes
  absolute_expires_at timestamptz NOT NULL         -- created + 12 hours
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX sessions_pending_user ON sessions (pending_user_id) WHERE pending_user_id IS NOT NULL;
CREATE INDEX sessions_expiry ON sessions (LEAST(idle_expires_at, absolute_expires_at));
