package dev.gatehouse.session;

import dev.gatehouse.config.Settings;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.TestPostgres;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.SecureRandom;
import java.util.Base64;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two Gatehouse servers on one database and one key, as behind a load balancer (docs/security.md 28,
 * 31): a session made on one is used on the other, a sign-in started on one finishes on the other,
 * a session ended on one is refused by the other at once, and a restart of both signs nobody out.
 */
@ExtendWith(VertxExtension.class)
class TwoNodesTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  static TestServer one;
  static TestServer two;

  /** A database and a key for a pair of nodes. */
  static JsonObject cluster() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return new JsonObject().put(Settings.DATABASE_URL, TestPostgres.newDatabase())
        .put(Settings.SECRET_KEY, Base64.getEncoder().encodeToString(key));
  }

  @BeforeAll
  static void start(Vertx vertx) {
    JsonObject shared = cluster();
    one = TestServer.start(vertx, shared, CLOCK);
    two = TestServer.start(vertx, shared, CLOCK);
  }

  @AfterAll
  static void stop() {
    one.close();
    two.close();
  }

  static String newAccount(TestServer node) {
    String email = Emails.unique("nodes");
    assertEquals(201, node.browser().signUp(email, TwoFactorUser.PASSWORD).status());
    return email;
  }

  @Test
  void a_session_made_on_one_node_is_used_on_the_other() {
    String email = newAccount(one);
    Browser onOne = one.browser();
    onOne.get("/signin"); // the CSRF token comes from node one, the sign-in goes to node two
    Browser onTwo = onOne.at(two.baseUrl());
    assertEquals(200, onTwo.signIn(email, TwoFactorUser.PASSWORD).status());
    Response me = onOne.get("/api/me");
    assertEquals(200, me.status(), me.toString());
    assertEquals(email, me.json().getJsonObject("user").getString("email"));
    assertEquals(204, onTwo.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD)).status());
    assertTrue(onOne.get("/api/me").json().getString("sudoUntil") != null, "sudo granted on two holds on one");
  }

  @Test
  void a_password_step_on_one_node_finishes_with_a_code_on_the_other() {
    TwoFactorUser user = TwoFactorUser.enrolled(one, CLOCK);
    Browser onOne = one.browser();
    assertEquals("two_factor_required", onOne.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    user.nextStep();
    Response done = secondStep(onOne.at(two.baseUrl()), "code", user.code());
    assertEquals(200, done.status(), done.toString());
    assertEquals(200, onOne.get("/api/me").status());
  }

  @Test
  void five_wrong_codes_end_the_pending_sign_in_whichever_nodes_they_reach() {
    TwoFactorUser user = TwoFactorUser.enrolled(one, CLOCK);
    Browser onOne = one.browser();
    Browser onTwo = onOne.at(two.baseUrl());
    assertEquals("two_factor_required", onOne.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    for (int i = 0; i < 4; i++) {
      Response wrong = secondStep(i % 2 == 0 ? onOne : onTwo, "code", "000000".equals(user.code()) ? "111111" : "000000");
      assertEquals(401, wrong.status(), wrong.toString());
      assertEquals(4 - i, wrong.json().getInteger("attemptsLeft"), "each node counts the other's wrong codes");
    }
    Response fifth = secondStep(onOne, "code", "000000".equals(user.code()) ? "111111" : "000000");
    assertEquals("two_factor_expired", fifth.code());
    user.nextStep();
    Response late = secondStep(onTwo, "code", user.code());
    assertTrue(late.status() == 401 || late.status() == 403, "the pending sign-in is over on both: " + late);
  }

  @Test
  void a_session_ended_on_one_node_is_refused_by_the_other_at_once() {
    String email = newAccount(one);
    Browser laptop = one.browser();
    assertEquals(200, laptop.signIn(email, TwoFactorUser.PASSWORD).status());
    Browser phone = two.browser();
    assertEquals(200, phone.signIn(email, TwoFactorUser.PASSWORD).status());
    assertEquals(200, phone.get("/api/me").status());
    String phoneHandle = laptop.get("/api/me/sessions").json().getJsonArray("sessions").stream()
        .map(JsonObject.class::cast).filter(s -> !s.getBoolean("current")).findFirst().orElseThrow().getString("id");

    assertEquals(204, laptop.delete("/api/me/sessions/" + phoneHandle).status());
    assertEquals(401, phone.get("/api/me").status(), "node two refuses it on its very next request");

    // Signing out on one node is just as final on the other.
    Browser tablet = two.browser();
    assertEquals(200, tablet.signIn(email, TwoFactorUser.PASSWORD).status());
    String tabletId = tablet.sessionId();
    assertEquals(204, tablet.at(one.baseUrl()).delete("/api/session").status());
    Browser replay = two.browser();
    replay.setCookie("gatehouse", tabletId);
    assertEquals(401, replay.get("/api/me").status());
  }

  @Test
  void sessions_survive_a_restart_of_both_nodes(Vertx vertx) {
    JsonObject shared = cluster();
    TestServer first = TestServer.start(vertx, shared, CLOCK);
    TestServer second = TestServer.start(vertx, shared, CLOCK);
    TwoFactorUser user = TwoFactorUser.enrolled(first, CLOCK);
    Browser signedIn = user.browser;
    Browser pending = second.browser();
    assertEquals("two_factor_required", pending.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    first.close();
    second.close();

    TestServer third = TestServer.start(vertx, shared, CLOCK);
    TestServer fourth = TestServer.start(vertx, shared, CLOCK);
    try {
      assertEquals(200, signedIn.at(third.baseUrl()).get("/api/me").status(), "still signed in after the restart");
      assertEquals(200, signedIn.at(fourth.baseUrl()).get("/api/me").status());
      user.nextStep();
      assertEquals(200, secondStep(pending.at(fourth.baseUrl()), "code", user.code()).status(),
          "a sign-in half way through finishes after the restart");
    } finally {
      third.close();
      fourth.close();
    }
  }
}
