-- Passkeys (WebAuthn). Nothing here is secret: a public key proves nothing without the private key,
-- which never leaves the authenticator.

-- The user handle a passkey stores for its account: 32 random bytes made once per account, never
-- the email or the user id, so an authenticator tells nobody who the account is (docs/security.md 45).
CREATE TABLE passkey_user_handles (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  handle  bytea NOT NULL UNIQUE
);

-- One registered passkey. The credential id is unique across all accounts: a credential that
-- belonged to one account can never be registered to another (docs/security.md 45).
CREATE TABLE passkey_credentials (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),   -- what the settings routes name
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id   bytea NOT NULL UNIQUE,
  public_key      bytea NOT NULL,              -- the COSE_Key from the attested credential data
  sign_count      bigint NOT NULL,             -- only a higher one is accepted again (docs/security.md 46)
  name            text NOT NULL,               -- what the person called it ("MacBook Touch ID")
  aaguid          uuid,                        -- the authenticator model, for its name where known
  transports      text[] NOT NULL DEFAULT '{}',
  backup_eligible boolean NOT NULL,            -- a synced passkey; the flag may never change afterwards
  backed_up       boolean NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz
);
CREATE INDEX passkey_credentials_user ON passkey_credentials (user_id, created_at);

-- A challenge the server made for one ceremony of a known account (adding a passkey, or using one after
-- the password: the second step, sudo): used once (taken by a DELETE … RETURNING), for one purpose, by the
-- account it was made for, for 5 minutes (docs/security.md 44). A sign-in without a password has no row
-- here: nothing is stored for an anonymous visitor (docs/security.md 30).
CREATE TABLE passkey_challenges (
  challenge  bytea PRIMARY KEY,
  purpose    text NOT NULL,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_challenges_user ON passkey_challenges (user_id, purpose, created_at);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);

-- A signed sign-in challenge (the server made it and can tell by its MAC; it names its own expiry) that a
-- passkey has signed in with: written by that sign-in, so it works once, and kept only until it expires.
-- Only a verified assertion of a registered passkey writes here, so visitors cannot fill it.
CREATE TABLE passkey_used_sign_in_challenges (
  challenge  bytea PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_used_sign_in_challenges_expiry ON passkey_used_sign_in_challenges (expires_at);
