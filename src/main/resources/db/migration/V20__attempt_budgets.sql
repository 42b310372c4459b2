-- Attempt budgets (docs/security.md 7-9): one row per (scope, key), e.g. ('password_account', email),
-- ('password_address', ip), ('second_step', user id). Every attempt is charged by one atomic
-- INSERT ... ON CONFLICT DO UPDATE, so parallel attempts on any node are all counted.
CREATE TABLE attempt_budgets (
  scope         text        NOT NULL,
  key           text        NOT NULL,
  failures      integer     NOT NULL,      -- attempts charged in the current window (refunded on success)
  window_start  timestamptz NOT NULL,
  blocked_until timestamptz,               -- refused until then; 'far future' for the TOTP lock
  lockouts      integer     NOT NULL DEFAULT 0,  -- blocks so far, for the growing back-off
  expires_at    timestamptz NOT NULL,      -- after this the row means nothing and may be pruned
  PRIMARY KEY (scope, key)
);
CREATE INDEX attempt_budgets_expiry ON attempt_budgets (expires_at);
