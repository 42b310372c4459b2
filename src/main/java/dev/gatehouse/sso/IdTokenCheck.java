package dev.gatehouse.sso;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The checks OpenID Connect Core 3.1.3.7 asks of an ID token, on claims whose signature vertx-auth
 * has already verified against the provider's JWKS. Done here in full rather than trusted to the
 * library, which skips the audience when {@code aud} is absent, never checks {@code exp} of an ID
 * token, and does not know our nonce.
 */
final class IdTokenCheck {

  /** Clock skew tolerated between us and the provider. */
  static final long LEEWAY_SECONDS = 60;

  private IdTokenCheck() {
  }

  /** Fails with {@link SsoFailure#TOKEN_INVALID} naming the first check that did not hold. */
  static void verify(JsonObject claims, String issuer, String clientId, String nonce, long nowSeconds) {
    if (claims == null) {
      throw invalid("no ID token whose signature, issuer and audience the provider's keys confirm");
    }
    if (!issuer.equals(claims.getValue("iss"))) {
      throw invalid("issuer is not the configured provider's");
    }
    Object aud = claims.getValue("aud");
    JsonArray audiences = aud instanceof String s ? new JsonArray().add(s) : aud instanceof JsonArray a ? a : null;
    if (audiences == null || !audiences.contains(clientId)) {
      throw invalid("audience is not this organisation's client id");
    }
    Object azp = claims.getValue("azp");
    if (azp != null && !clientId.equals(azp) || azp == null && audiences.size() > 1) {
      throw invalid("authorised party is not this organisation's client id");
    }
    Long exp = seconds(claims.getValue("exp"));
    if (exp == null || exp + LEEWAY_SECONDS <= nowSeconds) {
      throw invalid("expired");
    }
    Long iat = seconds(claims.getValue("iat"));
    if (iat != null && iat - LEEWAY_SECONDS > nowSeconds) {
      throw invalid("issued in the future");
    }
    Object tokenNonce = claims.getValue("nonce");
    if (!(tokenNonce instanceof String n) || !constantTimeEquals(n, nonce)) {
      throw invalid("nonce does not match this sign-in");
    }
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String s) || s.isBlank()) {
      throw invalid("no subject");
    }
  }

  /**
   * For a re-authentication (OpenID Connect Core 3.1.2.1, {@code max_age=0}): the token must say
   * when the person signed in at the provider ({@code auth_time}), and that must be after the
   * re-authentication started, give or take the clock skew we tolerate. Fails with
   * {@link SsoFailure#NOT_FRESH}.
   */
  static void authenticatedSince(JsonObject claims, long startedSeconds, long nowSeconds) {
    Long authTime = seconds(claims.getValue("auth_time"));
    if (authTime == null) {
      throw stale("the ID token does not say when the person signed in (no auth_time)");
    }
    if (authTime < startedSeconds - LEEWAY_SECONDS) {
      throw stale("the person signed in at the provider " + (startedSeconds - authTime)
          + " s before the re-authentication started: no fresh sign-in");
    }
    if (authTime > nowSeconds + LEEWAY_SECONDS) {
      throw stale("auth_time lies in the future");
    }
  }

  /** True only for a boolean {@code true} (or the string "true", which some providers send). */
  static boolean emailVerified(JsonObject claims) {
    Object verified = claims.getValue("email_verified");
    return Boolean.TRUE.equals(verified) || "true".equals(verified);
  }

  static boolean constantTimeEquals(String a, String b) {
    return a != null && b != null
        && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static Long seconds(Object value) {
    return value instanceof Number n ? n.longValue() : null;
  }

  private static SsoFailure stale(String reason) {
    return new SsoFailure(SsoFailure.NOT_FRESH, "re-authentication refused: " + reason);
  }

  private static SsoFailure invalid(String reason) {
    return new SsoFailure(SsoFailure.TOKEN_INVALID, "ID token refused: " + reason);
  }
}
