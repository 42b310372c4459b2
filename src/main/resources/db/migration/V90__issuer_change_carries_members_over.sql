-- A new issuer takes over no binding of the old one by itself (docs/security.md 35): only when the
-- owner said so while changing the issuer does this name the issuer it replaced, whose accounts
-- without a password the new one may then bind by their address, each told in its security log.
ALTER TABLE organisations ADD COLUMN sso_carry_over_from text;
