package dev.gatehouse.sso;

/**
 * Why an SSO sign-in (or re-authentication) did not go through. The {@code code} is what the
 * browser is sent back with ({@code /signin?sso_error=code}, or {@code /account?sso_error=code}
 * while the session is still signed in); the reason is for the log and must never hold
 * an authorization code, a token, a state or a secret.
 */
final class SsoFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** No organisation by that slug, or SSO is off for it. */
  static final String NOT_FOUND = "sso_not_found";
  /** The callback's state is missing, wrong, already used, or from another browser. */
  static final String STATE_INVALID = "sso_state_invalid";
  /** The sign-in took longer than {@link SsoSignIn#FLOW_LIFETIME}. */
  static final String EXPIRED = "sso_expired";
  /** The provider answered with an error (the person cancelled, or is not allowed in). */
  static final String DENIED = "sso_denied";
  /** The provider refused the authorization code (replayed, expired, or the client is misconfigured). */
  static final String EXCHANGE_FAILED = "sso_exchange_failed";
  /** The ID token failed a check: signature, issuer, audience, expiry or nonce. */
  static final String TOKEN_INVALID = "sso_token_invalid";
  /** The provider did not vouch for the email address. */
  static final String EMAIL_UNVERIFIED = "sso_email_unverified";
  /** The email is not at one of the organisation's verified domains. */
  static final String EMAIL_OUTSIDE_DOMAINS = "sso_email_outside_domains";
  /** The address belongs to an account that is bound to another identity (or signs in another way): nothing linked. */
  static final String ACCOUNT_CONFLICT = "sso_account_conflict";
  /** A re-authentication (sudo) whose ID token shows no sign-in since it started ({@code auth_time}). */
  static final String NOT_FRESH = "sso_not_fresh";
  /** A re-authentication (sudo) by an identity that is not the one bound to the signed-in account. */
  static final String IDENTITY_MISMATCH = "sso_identity_mismatch";
  /** The organisation switched to another provider (or off) while the sign-in waited for the old one. */
  static final String PROVIDER_CHANGED = "sso_provider_changed";
  /** The provider cannot be reached, or its discovery document is unusable. */
  static final String UNAVAILABLE = "sso_unavailable";
  /** Anything else (our database, a bug): logged as an error. */
  static final String FAILED = "sso_failed";

  private final String code;

  SsoFailure(String code, String reason) {
    super(reason, null, false, false);
    this.code = code;
  }

  String code() {
    return code;
  }
}
