-- Whom an organisation's provider vouched for, by the provider's own name for them (issuer and
-- subject), never by email: an address can change hands at the provider, a subject does not
-- (docs/security.md 34). Found by this key on every SSO sign-in; the account it opens never changes.
CREATE TABLE sso_identities (
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  issuer          text NOT NULL,           -- exactly as the provider's discovery document names it
  subject         text NOT NULL,           -- the ID token's "sub"
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email           text NOT NULL,           -- the address the provider gave when it was bound (shown, never looked up)
  linked_at       timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
