package dev.gatehouse.session;

import dev.gatehouse.factor.totp.Base32;
import dev.gatehouse.factor.totp.Totp;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.function.Supplier;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static dev.gatehouse.support.SecurityLog.lastEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changing a credential ends every other session of the account, signed in or half way through
 * signing in; the one that made the change continues under a new id (docs/security.md 32). The
 * change's security event says how many ended.
 */
class CredentialChangeTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  /** Another browser signed in to the same account (through its second step when 2FA is on). */
  static Browser elsewhere(TwoFactorUser user) {
    Browser b = server.browser();
    Response step = b.signIn(user.email, TwoFactorUser.PASSWORD);
    if ("two_factor_required".equals(step.json().getString("state"))) {
      user.nextStep();
      assertEquals(200, secondStep(b, "code", user.code()).status());
    }
    assertEquals(200, b.get("/api/me").status());
    return b;
  }

  /**
   * The change, made from the user's own browser, ends {@code others} (a pending one is proven ended
   * by the caller) and moves the user's session:
   * its old id is worthless, the new one and its CSRF token work.
   */
  static void endsTheOthers(TwoFactorUser user, Supplier<Response> change, int expectedStatus, String event,
                            Browser... others) {
    String before = user.browser.sessionId();
    Response answer = change.get();
    assertEquals(expectedStatus, answer.status(), answer.toString());
    for (Browser other : others) {
      assertEquals(401, other.get("/api/me").status(), "another session of the account ended");
    }
    assertNotEquals(before, user.browser.sessionId(), "this session moved to a new id");
    Browser replay = server.browser();
    replay.setCookie("gatehouse", before);
    assertEquals(401, replay.get("/api/me").status(), "the id from before the change is worthless");
    assertEquals(200, user.browser.get("/api/me").status(), "the session that made the change continues");
    user.sudo(user.browser); // an unsafe request: the CSRF token followed the new id
    assertEquals(others.length, lastEvent(user.browser, event).getJsonObject("details").getInteger("sessionsEnded"),
        "the security log says how many ended");
  }

  @Test
  void enabling_2fa_ends_the_other_sessions() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Browser laptop = elsewhere(user);
    Browser phone = elsewhere(user);
    endsTheOthers(user, () -> {
      user.enable();
      return user.browser.get("/api/me");
    }, 200, "two_factor.enabled", laptop, phone);
  }

  @Test
  void reconfiguring_2fa_ends_the_other_sessions_and_the_sign_ins_half_way() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser laptop = elsewhere(user);
    Browser halfway = user.pending();
    user.nextStep();
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    user.nextStep();
    byte[] newKey = Base32.decode(setup.json().getString("secret")).orElseThrow();
    endsTheOthers(user, () -> {
      Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
          new JsonObject().put("code", Totp.STANDARD.codeAt(newKey, CLOCK.instant().getEpochSecond())));
      user.key = newKey; // the app's codes from now on, for the sudo that follows
      return confirmed;
    }, 200, "two_factor.reconfigured", laptop, halfway);
    user.nextStep();
    Response late = secondStep(halfway, "code", user.code());
    assertTrue(late.status() == 401 || late.status() == 403, "the pending sign-in ended too: " + late);
  }

  @Test
  void regenerating_recovery_codes_ends_the_other_sessions() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser laptop = elsewhere(user);
    endsTheOthers(user, () -> user.browser.post("/api/me/two-factor/recovery-codes", new JsonObject()), 201,
        "recovery_codes.regenerated", laptop);
  }

  @Test
  void disabling_2fa_ends_the_other_sessions() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser laptop = elsewhere(user);
    user.nextStep();
    endsTheOthers(user, () -> user.browser.delete("/api/me/two-factor"), 204, "two_factor.disabled", laptop);
  }

  @Test
  void a_refused_change_ends_nothing_and_keeps_the_id() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser laptop = elsewhere(user);
    CLOCK.advance(java.time.Duration.ofMinutes(11)); // sudo has run out
    String before = user.browser.sessionId();
    Response refused = user.browser.delete("/api/me/two-factor");
    assertEquals(403, refused.status(), refused.toString());
    assertEquals(200, laptop.get("/api/me").status());
    assertEquals(before, user.browser.sessionId());
    assertEquals(200, user.browser.get("/api/me").status());
  }

  @Test
  void the_only_session_gets_a_new_id_and_ends_none() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    endsTheOthers(user, () -> user.browser.post("/api/me/two-factor/recovery-codes", new JsonObject()), 201,
        "recovery_codes.regenerated");
  }
}
