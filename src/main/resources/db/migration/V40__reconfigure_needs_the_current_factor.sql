-- A setup started while 2FA was on is a re-configure, and is only allowed once the current factor
-- (a code from the existing app, or a recovery code) has been proven. Only a setup so marked may
-- replace a confirmed secret; any other (started before this rule, or racing the first enable)
-- cannot swap the authenticator.
ALTER TABLE totp_setups ADD COLUMN reconfigure boolean NOT NULL DEFAULT false;
