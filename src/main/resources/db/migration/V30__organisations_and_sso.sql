-- Organisations that sign their members in through their own OpenID Connect provider (issue 8).
CREATE TABLE organisations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug              text NOT NULL UNIQUE,    -- lower-case letters, digits and hyphens; in /sso/{slug}/…
  name              text NOT NULL,
  sso_issuer        text,                    -- OpenID Connect issuer URL (discovery is read from it)
  sso_client_id     text,
  sso_client_secret text,                    -- sealed with dev.gatehouse.crypto.Envelope; never plain text
  sso_enabled       boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sso_needs_a_provider CHECK (NOT sso_enabled OR (sso_issuer IS NOT NULL AND sso_client_id IS NOT NULL))
);

-- Email domains an organisation claims. A domain counts (for SSO sign-in, "SSO required" and
-- discovery) only once its DNS proved the claim; until then any organisation may have it pending,
-- so that nobody can squat a domain, but only one organisation can hold it verified.
CREATE TABLE organisation_domains (
  organisation_id    uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  domain             text NOT NULL,          -- lower-case ASCII (IDNs in punycode)
  verification_token text NOT NULL,
  verified_at        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, domain)
);
CREATE UNIQUE INDEX organisation_domains_verified ON organisation_domains (domain) WHERE verified_at IS NOT NULL;

CREATE TABLE organisation_members (
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('owner', 'member')),
  joined_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user ON organisation_members (user_id);
