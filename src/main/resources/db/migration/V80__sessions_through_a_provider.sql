-- Which organisation's provider a session signed in through (docs/security.md 35): when that
-- provider changes or is switched off, the sessions it vouched for end in one statement, and
-- members' password sessions stay. Null for every session not signed in by SSO.
ALTER TABLE sessions ADD COLUMN sso_organisation_id uuid REFERENCES organisations (id) ON DELETE CASCADE;
CREATE INDEX sessions_sso_organisation ON sessions (sso_organisation_id) WHERE sso_organisation_id IS NOT NULL;
-- SSO sessions from before this column: the organisation whose provider last vouched for the account.
UPDATE sessions s SET sso_organisation_id = b.organisation_id,
                      data = s.data || jsonb_build_object('ssoOrganisation', b.organisation_id::text)
FROM (SELECT DISTINCT ON (user_id) user_id, organisation_id FROM sso_identities ORDER BY user_id, last_used_at DESC) b
WHERE s.method = 'sso' AND s.user_id = b.user_id;
