package dev.gatehouse.sso;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenID Connect Core 3.1.3.7 checks, one claim at a time. */
class IdTokenCheckTest {

  static final String ISSUER = "https://idp.test/realm";
  static final String CLIENT = "gatehouse";
  static final String NONCE = "n-0S6_WzA2Mj";
  static final long NOW = 1_800_000_000L;

  static JsonObject good() {
    return new JsonObject().put("iss", ISSUER).put("aud", CLIENT).put("sub", "248289761001")
        .put("exp", NOW + 300).put("iat", NOW - 5).put("nonce", NONCE);
  }

  static void refused(Consumer<JsonObject> change, String reason) {
    JsonObject claims = good();
    change.accept(claims);
    SsoFailure failure = assertThrows(SsoFailure.class, () -> IdTokenCheck.verify(claims, ISSUER, CLIENT, NONCE, NOW));
    assertEquals(SsoFailure.TOKEN_INVALID, failure.code());
    assertTrue(failure.getMessage().contains(reason), failure.getMessage());
  }

  @Test
  void a_good_token_passes_with_a_string_or_array_audience() {
    assertDoesNotThrow(() -> IdTokenCheck.verify(good(), ISSUER, CLIENT, NONCE, NOW));
    assertDoesNotThrow(() -> IdTokenCheck.verify(good().put("aud", new JsonArray().add(CLIENT)), ISSUER, CLIENT, NONCE, NOW));
    assertDoesNotThrow(() -> IdTokenCheck.verify(good().put("aud", new JsonArray().add(CLIENT).add("other")).put("azp", CLIENT),
        ISSUER, CLIENT, NONCE, NOW));
  }

  @Test
  void no_token_at_all_is_refused() {
    assertThrows(SsoFailure.class, () -> IdTokenCheck.verify(null, ISSUER, CLIENT, NONCE, NOW));
  }

  @Test
  void each_claim_is_checked() {
    refused(c -> c.put("iss", "https://evil.test/realm"), "issuer");
    refused(c -> c.remove("iss"), "issuer");
    refused(c -> c.put("aud", "other"), "audience");
    refused(c -> c.remove("aud"), "audience");
    refused(c -> c.put("aud", 42), "audience");
    refused(c -> c.put("aud", new JsonArray().add(CLIENT).add("other")), "authorised party");
    refused(c -> c.put("azp", "other"), "authorised party");
    refused(c -> c.put("exp", NOW - IdTokenCheck.LEEWAY_SECONDS), "expired");
    refused(c -> c.remove("exp"), "expired");
    refused(c -> c.put("exp", "soon"), "expired");
    refused(c -> c.put("iat", NOW + IdTokenCheck.LEEWAY_SECONDS + 1), "future");
    refused(c -> c.put("nonce", "other"), "nonce");
    refused(c -> c.remove("nonce"), "nonce");
    refused(c -> c.put("nonce", 7), "nonce");
    refused(c -> c.remove("sub"), "subject");
    refused(c -> c.put("sub", " "), "subject");
  }

  @Test
  void expiry_allows_a_minute_of_clock_skew() {
    assertDoesNotThrow(() -> IdTokenCheck.verify(good().put("exp", NOW - IdTokenCheck.LEEWAY_SECONDS + 1), ISSUER, CLIENT,
        NONCE, NOW));
  }

  @Test
  void only_a_true_email_verified_counts() {
    assertTrue(IdTokenCheck.emailVerified(new JsonObject().put("email_verified", true)));
    assertTrue(IdTokenCheck.emailVerified(new JsonObject().put("email_verified", "true")));
    assertFalse(IdTokenCheck.emailVerified(new JsonObject().put("email_verified", false)));
    assertFalse(IdTokenCheck.emailVerified(new JsonObject().put("email_verified", "yes")));
    assertFalse(IdTokenCheck.emailVerified(new JsonObject().put("email_verified", 1)));
    assertFalse(IdTokenCheck.emailVerified(new JsonObject()));
  }

  @Test
  void the_pkce_challenge_is_rfc_7636_s256() {
    // RFC 7636 Appendix B.
    assertEquals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", SsoSignIn.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  }
}
