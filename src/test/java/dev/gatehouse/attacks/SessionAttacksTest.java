package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The known 2FA bypass classes as request sequences, each with the refusal it must meet: half-finished
 * sign-ins, someone else's identity in the body, cross-site requests, stolen cookies, fixed session ids.
 */
class SessionAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  /** Every route that needs a signed-in user, as method and path. */
  static final List<String[]> PROTECTED = List.of(
      new String[] {"GET", "/api/me"},
      new String[] {"POST", "/api/me/sudo"},
      new String[] {"GET", "/api/me/security-events"},
      new String[] {"POST", "/api/me/two-factor/setup"},
      new String[] {"GET", "/api/me/two-factor/setup/qr.png"},
      new String[] {"GET", "/api/me/two-factor/setup/qr.svg"},
      new String[] {"POST", "/api/me/two-factor/setup/confirm"},
      new String[] {"DELETE", "/api/me/two-factor"},
      new String[] {"GET", "/api/me/two-factor/recovery-codes"},
      new String[] {"POST", "/api/me/two-factor/recovery-codes"},
      new String[] {"GET", "/account/recovery-codes.txt"},
      new String[] {"GET", "/account/recovery-codes/print"});

  static Response call(Browser b, String method, String path, JsonObject body) {
    return switch (method) {
      case "GET" -> b.get(path);
      case "POST" -> b.post(path, body);
      default -> b.delete(path, body);
    };
  }

  @Test
  void the_password_step_alone_opens_no_protected_route() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser pending = user.pending();
    for (String[] route : PROTECTED) {
      JsonObject body = new JsonObject().put("password", TwoFactorUser.PASSWORD).put("code", user.code());
      if (route[1].equals("/api/me/two-factor/setup") || route[1].equals("/api/me/two-factor/recovery-codes")) {
        body = new JsonObject();
      }
      Response r = call(pending, route[0], route[1], route[0].equals("GET") ? null : body);
      assertEquals(401, r.status(), route[0] + " " + route[1] + ": " + r);
      assertFalse(r.body().contains(user.recoveryCodes.get(0)), route[1]);
    }
    assertEquals(200, secondStep(pending, "code", user.code()).status(), "the pending state was left intact");
  }

  @Test
  void my_own_valid_code_with_another_users_id_or_email_in_the_body_is_refused() {
    TwoFactorUser victim = TwoFactorUser.enrolled(server, CLOCK);
    TwoFactorUser attacker = TwoFactorUser.enrolled(server, CLOCK);
    String victimId = victim.browser.get("/api/me").json().getJsonObject("user").getString("id");
    Browser b = attacker.pending();
    for (JsonObject body : List.of(
        new JsonObject().put("code", attacker.code()).put("userId", victimId),
        new JsonObject().put("code", attacker.code()).put("user", victimId),
        new JsonObject().put("code", attacker.code()).put("email", victim.email))) {
      Response r = b.post("/api/session/two-factor", body);
      assertEquals(400, r.status(), body.encode() + " → " + r);
      assertEquals("unknown_field", r.code());
    }
    Response own = secondStep(b, "code", attacker.code());
    assertEquals(200, own.status());
    assertEquals(attacker.email, b.get("/api/me").json().getJsonObject("user").getString("email"),
        "signed in as myself, never as the user named in a body");
    attacker.sudo(b);
    Response setup = b.post("/api/me/two-factor/setup", new JsonObject().put("userId", victimId));
    assertEquals(400, setup.status(), setup.toString());
  }

  @Test
  void setup_or_confirm_from_a_pending_session_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser pending = user.pending();
    assertEquals(401, pending.post("/api/me/two-factor/setup", new JsonObject()).status());
    assertEquals(401, pending.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", user.code()))
        .status());
    assertEquals(401, pending.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD)).status());
  }

  @Test
  void csrf_on_disable_and_on_regenerate_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    String session = user.browser.sessionId();
    // A cross-site form: the victim's cookies ride along, but no token header.
    Browser forged = server.browser().withoutCsrf();
    forged.setCookie("gatehouse", session);
    Response disable = forged.delete("/api/me/two-factor", new JsonObject().put("code", user.code()));
    assertEquals(403, disable.status(), disable.toString());
    assertEquals("csrf_failed", disable.code());
    Response regenerate = forged.post("/api/me/two-factor/recovery-codes", new JsonObject());
    assertEquals(403, regenerate.status());
    assertEquals("csrf_failed", regenerate.code());
    // Even with the token, a request a browser labels cross-site is refused.
    String token = user.browser.cookie("XSRF-TOKEN").orElseThrow();
    Response labelled = user.browser.send(user.browser.request("/api/me/two-factor/recovery-codes")
        .header("X-XSRF-TOKEN", token).header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(403, labelled.status());
    JsonObject me = user.browser.get("/api/me").json();
    assertTrue(me.getJsonObject("twoFactor").getBoolean("enabled"), me.encode());
    assertEquals(10, me.getJsonObject("twoFactor").getInteger("recoveryCodesRemaining"), "the old set still stands");
  }

  @Test
  void disable_with_a_stolen_cookie_but_no_sudo_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    CLOCK.advance(Duration.ofMinutes(11)); // the owner's "confirm your password" has lapsed
    Browser thief = server.browser();
    thief.setCookie("gatehouse", user.browser.sessionId());
    assertEquals(200, thief.get("/api/me").status(), "the cookie works: it is stolen");
    Response disable = thief.delete("/api/me/two-factor", new JsonObject().put("code", user.code()));
    assertEquals(403, disable.status(), disable.toString());
    assertEquals("sudo_required", disable.code());
    assertEquals(403, thief.post("/api/me/two-factor/recovery-codes", new JsonObject()).status());
    assertEquals(403, thief.get("/api/me/two-factor/recovery-codes").status());
    assertTrue(thief.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
  }

  @Test
  void a_stolen_session_with_the_password_cannot_swap_the_authenticator() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    CLOCK.advance(java.time.Duration.ofMinutes(11)); // the owner's own sudo has run out
    Browser thief = server.browser();
    thief.setCookie("gatehouse", user.browser.sessionId());
    // The password is known too, but with 2FA on it is only half of sudo (docs/security.md 25).
    Response half = thief.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertEquals(200, half.status(), half.toString());
    assertEquals("second_factor_required", half.json().getString("state"));
    Response guessed = thief.post("/api/me/sudo", new JsonObject().put("code", user.wrongCode()));
    assertEquals(401, guessed.status(), guessed.toString());
    Response guessedRecovery = thief.post("/api/me/sudo", new JsonObject().put("recoveryCode", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"));
    assertEquals(401, guessedRecovery.status(), guessedRecovery.toString());
    for (Response refused : List.of(thief.post("/api/me/two-factor/setup", new JsonObject()),
        thief.get("/api/me/two-factor/setup/qr.png"),
        thief.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", "123456")),
        thief.delete("/api/me/two-factor"), thief.get("/api/me/two-factor/recovery-codes"))) {
      assertEquals(403, refused.status(), refused.toString());
      assertEquals("sudo_required", refused.code());
    }
    assertTrue(thief.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status(), "the owner's app still works");
  }

  @Test
  void the_secret_and_the_qr_code_cannot_be_fetched_again_after_confirmation() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    String secret = setup.json().getString("secret");
    assertEquals(200, user.browser.get("/api/me/two-factor/setup/qr.png").status());
    user.key = dev.gatehouse.factor.totp.Base32.decode(secret).orElseThrow();
    assertEquals(200, user.browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", user.code()))
        .status());
    assertEquals(404, user.browser.get("/api/me/two-factor/setup/qr.png").status());
    assertEquals(404, user.browser.get("/api/me/two-factor/setup/qr.svg").status());
    for (String path : List.of("/api/me", "/api/me/two-factor/recovery-codes", "/api/me/security-events",
        "/account/recovery-codes.txt", "/account/recovery-codes/print")) {
      Response r = user.browser.get(path);
      assertFalse(r.body().contains(secret), path + " serves the secret again");
      assertFalse(r.body().contains(secret.toLowerCase()), path);
    }
  }

  @Test
  void the_session_id_from_before_sign_in_is_worthless_after_it() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = server.browser();
    // Fixation: an id the attacker chose, planted before sign-in (an anonymous visitor gets none of ours).
    String anonymous = "00112233445566778899aabbccddeeff";
    b.setCookie("gatehouse", anonymous);
    assertEquals("two_factor_required", b.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    String pending = b.sessionId();
    assertNotEquals(anonymous, pending);
    assertEquals(200, secondStep(b, "code", user.code()).status());
    assertEquals(200, b.get("/api/me").status());
    for (String old : List.of(anonymous, pending)) {
      // A fixated or captured id: the attacker planted it before sign-in, or sniffed it while pending.
      Browser attacker = server.browser();
      attacker.setCookie("gatehouse", old);
      assertEquals(401, attacker.get("/api/me").status(), "an id from before sign-in");
      Response step = secondStep(attacker, "code", user.codeAt(1));
      // Refused as not pending (401), or before that for want of the old id's CSRF token (403).
      assertTrue(step.status() == 401 || step.status() == 403, "the old id is no longer pending either: " + step);
      assertEquals(401, attacker.get("/api/me").status());
    }
  }
}
