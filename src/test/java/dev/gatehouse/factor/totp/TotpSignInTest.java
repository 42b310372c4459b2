package dev.gatehouse.factor.totp;

import dev.gatehouse.support.Race;
import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The second sign-in step with an authenticator app (issue 3, docs/security.md 1–4, 10–11). */
class TotpSignInTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  // The attempt budgets have tests of their own (throttle/); here the single-use guards are what is proven.
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(TestServer.roomForRaces(), CLOCK);

  @Test
  void a_user_with_2fa_signs_in_with_a_code_and_the_session_id_changes_at_each_step() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = server.browser();
    b.get("/");
    String anonymous = b.sessionId();
    assertNull(anonymous, "a page view stores no session");
    Response password = b.signIn(user.email, TwoFactorUser.PASSWORD);
    assertEquals("two_factor_required", password.json().getString("state"));
    assertEquals(new JsonArray().add("totp").add("recovery_code"), password.json().getJsonArray("methods"));
    String pending = b.sessionId();
    assertNotEquals(anonymous, pending);

    Response signedIn = secondStep(b, "code", user.code());
    assertEquals(200, signedIn.status(), signedIn.toString());
    assertEquals("signed_in", signedIn.json().getString("state"));
    assertNotEquals(pending, b.sessionId());
    assertEquals(200, b.get("/api/me").status());

    // The pending session id is worthless now.
    Browser thief = server.browser();
    thief.setCookie("gatehouse", pending);
    assertEquals(401, thief.get("/api/me").status());
  }

  // docs/security.md 11: a pending sign-in ended while its code is checked stays ended.
  @Test
  void a_pending_sign_in_ended_while_its_code_is_settled_is_not_signed_in() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    String pending = b.sessionId();
    byte[] key = java.security.MessageDigest.getInstance("SHA-256")
        .digest(pending.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    try (java.sql.Connection c = server.jdbc()) {
      c.setAutoCommit(false);
      // Elsewhere, the pending session is being ended ("sign out of all other sessions"): its row is
      // locked, so the statement that settles the code waits on it, and then finds it gone.
      try (java.sql.PreparedStatement lock = c.prepareStatement("SELECT 1 FROM sessions WHERE id_hash = ? FOR UPDATE")) {
        lock.setBytes(1, key);
        assertTrue(lock.executeQuery().next());
      }
      java.util.concurrent.CompletableFuture<Response> step =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> secondStep(b, "code", user.code()));
      awaitWaitingOnALock(c);
      try (java.sql.PreparedStatement end = c.prepareStatement("DELETE FROM sessions WHERE id_hash = ?")) {
        end.setBytes(1, key);
        assertEquals(1, end.executeUpdate());
      }
      c.commit();
      Response answer = step.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(401, answer.status(), answer.toString());
      assertEquals("two_factor_expired", answer.code());
    }
    // Neither the old id nor whatever the answer carried signs anyone in.
    assertEquals(401, b.get("/api/me").status());
    Browser thief = server.browser();
    thief.setCookie("gatehouse", pending);
    assertEquals(401, thief.get("/api/me").status());
    // The security log does not say it succeeded: only the sign-in that set the account up did.
    try (java.sql.Connection c = server.jdbc(); java.sql.PreparedStatement s = c.prepareStatement("""
        SELECT count(*) FROM security_events e JOIN users u ON u.id = e.user_id
        WHERE u.email = ? AND e.type = 'signin.succeeded'""")) {
      s.setString(1, user.email);
      try (java.sql.ResultSet rs = s.executeQuery()) {
        rs.next();
        assertEquals(1, rs.getInt(1), "signin.succeeded events: the enrolment's sign-in only");
      }
    }
  }

  /** Waits until some other backend waits for a lock this connection holds. */
  private static void awaitWaitingOnALock(java.sql.Connection holder) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    try (java.sql.Connection watch = server.jdbc();
         java.sql.PreparedStatement waiting = watch.prepareStatement("""
             SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()""")) {
      while (System.nanoTime() < deadline) {
        try (java.sql.ResultSet rs = waiting.executeQuery()) {
          rs.next();
          if (rs.getInt(1) > 0) {
            return;
          }
        }
        Thread.sleep(20);
      }
    }
    throw new AssertionError("the second step never waited on the session's row");
  }

  @Test
  void a_pending_session_gets_401_on_every_protected_route() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    JsonObject code = new JsonObject().put("code", user.code());
    List<Response> answers = List.of(
        b.get("/api/me"),
        b.get("/api/me/security-events"),
        b.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD)),
        b.post("/api/me/two-factor/setup", new JsonObject()),
        b.get("/api/me/two-factor/setup/qr.png"),
        b.get("/api/me/two-factor/setup/qr.svg"),
        b.post("/api/me/two-factor/setup/confirm", code),
        b.delete("/api/me/two-factor", code),
        b.get("/api/me/two-factor/recovery-codes"),
        b.post("/api/me/two-factor/recovery-codes", new JsonObject()),
        b.get("/account/recovery-codes.txt"),
        b.get("/account/recovery-codes/print"));
    for (Response answer : answers) {
      assertEquals(401, answer.status(), answer.toString());
      assertEquals("not_signed_in", answer.code());
      assertFalse(answer.body().contains(user.recoveryCodes.get(0)));
    }
    // Nothing was started or changed: the pending session still only has its second step to do.
    assertEquals(200, secondStep(b, "code", user.code()).status());
  }

  @Test
  void a_code_is_refused_the_second_time_also_in_a_second_browser() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    String code = user.code();
    assertEquals(200, secondStep(user.pending(), "code", code).status());

    Browser second = user.pending();
    Response replay = secondStep(second, "code", code);
    assertEquals(401, replay.status());
    assertEquals("invalid_code", replay.code());
    assertEquals("already_used", replay.json().getString("reason"));
    // The next step's code still works in the same pending session.
    user.nextStep();
    assertEquals(200, secondStep(second, "code", user.code()).status());
  }

  @Test
  void codes_of_the_previous_current_and_next_step_work_two_steps_away_do_not() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    // Enrolment used the previous step; one more step keeps the whole window unused.
    user.nextStep();
    assertRefused(secondStep(user.pending(), "code", user.codeAt(-2)));
    assertEquals(200, secondStep(user.pending(), "code", user.codeAt(-1)).status());
    assertEquals(200, secondStep(user.pending(), "code", user.codeAt(0)).status());
    assertEquals(200, secondStep(user.pending(), "code", user.codeAt(1)).status());
    // Two steps ahead is refused too (and, being a future code, spent: see the clock-skew tests).
    assertRefused(secondStep(user.pending(), "code", user.codeAt(2)));
    // Having used the next step, the current one is now in the past: refused.
    user.nextStep();
    assertRefused(secondStep(user.pending(), "code", user.codeAt(-1)));
  }

  @Test
  void twenty_parallel_posts_of_one_valid_code_give_exactly_one_success() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> browsers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      browsers.add(user.pending());
    }
    String code = user.code();
    List<Integer> statuses = Race.of(browsers, b -> secondStep(b, "code", code).status());
    assertEquals(1, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
    assertEquals(19, statuses.stream().filter(s -> s == 401).count(), statuses.toString());
  }

  @Test
  void two_devices_set_up_from_one_key_both_sign_in_at_different_steps() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    // Device A scans the QR code (the URI's secret); device B types the grouped setup key.
    String uri = setup.json().getString("otpauthUri");
    byte[] deviceA = Base32.decode(uri.substring(uri.indexOf("secret=") + 7, uri.indexOf('&'))).orElseThrow();
    byte[] deviceB = Base32.decode(setup.json().getString("secretGrouped").toLowerCase()).orElseThrow();
    long now = CLOCK.instant().getEpochSecond();
    Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(deviceA, now)));
    assertEquals(200, confirmed.status(), confirmed.toString());

    user.nextStep();
    assertEquals(200, secondStep(user.pending(), "code", Totp.STANDARD.codeAt(deviceA,
        CLOCK.instant().getEpochSecond())).status());
    user.nextStep();
    assertEquals(200, secondStep(user.pending(), "code", Totp.STANDARD.codeAt(deviceB,
        CLOCK.instant().getEpochSecond())).status());
  }

  @Test
  void malformed_codes_are_400_never_500_and_do_not_use_up_attempts() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    List<Object> bad = List.of(123456, 12345.6, true, new JsonArray().add("123456"), new JsonObject().put("a", 1),
        "12345", "1234567", "١٢٣٤٥٦", "12345a", "", "1".repeat(10_000));
    for (Object value : bad) {
      Response answer = secondStep(b, "code", value);
      assertEquals(400, answer.status(), value + " -> " + answer);
    }
    Response nullCode = b.post("/api/session/two-factor", "{\"code\": null}");
    assertEquals(400, nullCode.status(), nullCode.toString());
    Response both = b.post("/api/session/two-factor", new JsonObject().put("code", user.code())
        .put("recoveryCode", user.recoveryCodes.get(0)));
    assertEquals(400, both.status(), both.toString());
    assertEquals(400, b.post("/api/session/two-factor", new JsonObject()).status());
    // Spaces are stripped, and after all that the pending state is intact.
    String code = user.code();
    Response spaced = secondStep(b, "code", " " + code.substring(0, 3) + " " + code.substring(3) + " ");
    assertEquals(200, spaced.status(), spaced.toString());
  }

  @Test
  void five_wrong_codes_end_the_pending_sign_in() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    String wrong = user.wrongCode();
    for (int i = 1; i <= 4; i++) {
      Response answer = secondStep(b, "code", wrong);
      assertEquals("invalid_code", answer.code(), answer.toString());
    }
    assertEquals("two_factor_expired", secondStep(b, "code", wrong).code());
    assertEquals("two_factor_expired", secondStep(b, "code", user.code()).code());
  }

  @Test
  void second_step_successes_and_failures_are_in_the_security_log() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    secondStep(b, "code", user.wrongCode());
    assertEquals(200, secondStep(b, "code", user.code()).status());
    JsonArray events = b.get("/api/me/security-events").json().getJsonArray("events");
    List<String> types = events.stream().map(e -> ((JsonObject) e).getString("type")).toList();
    assertTrue(types.contains("signin.second_step_failed"), types.toString());
    assertTrue(types.contains("two_factor.enabled"), types.toString());
    JsonObject signIn = (JsonObject) events.getValue(0);
    assertEquals("signin.succeeded", signIn.getString("type"));
    assertEquals("totp", signIn.getJsonObject("details").getString("method"));
    assertEquals("127.0.0.1", signIn.getString("ip"));
  }

  @Test
  void a_user_without_2fa_is_not_asked_for_a_code() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response again = server.browser().signIn(user.email, TwoFactorUser.PASSWORD);
    assertEquals("signed_in", again.json().getString("state"));
    assertEquals(0, again.json().getJsonArray("methods").size());
    JsonObject twoFactor = user.browser.get("/api/me").json().getJsonObject("twoFactor");
    assertFalse(twoFactor.getBoolean("enabled"));
  }

  @Test
  void a_code_from_a_clock_minutes_ahead_is_refused_counted_told_and_can_never_be_used() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    String ahead = user.codeAt(6); // the phone's clock runs 3 minutes fast
    Browser b = user.pending();
    Response told = secondStep(b, "code", ahead);
    assertEquals(401, told.status(), told.toString());
    assertEquals("invalid_code", told.code());
    assertEquals(180, told.json().getInteger("clockSkewSeconds"));
    assertEquals(4, told.json().getInteger("attemptsLeft"), "counted like any wrong code");
    // docs/security.md 27: the disclosed code is spent; when its time comes it is refused.
    for (int i = 0; i < 6; i++) {
      user.nextStep();
    }
    assertEquals(ahead, user.code(), "three minutes on, the phone's code is the right one");
    Response later = secondStep(b, "code", ahead);
    assertEquals(401, later.status(), later.toString());
    assertEquals("already_used", later.json().getString("reason"));
    user.nextStep();
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status(), "past it, codes work again");
    List<String> failures = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type")).filter("signin.second_step_failed"::equals).toList();
    assertEquals(2, failures.size(), "both refusals are in the log");
  }

  @Test
  void a_code_from_a_clock_minutes_behind_is_refused_and_told() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    Response told = secondStep(b, "code", user.codeAt(-4)); // two minutes slow
    assertEquals(401, told.status(), told.toString());
    assertEquals(-120, told.json().getInteger("clockSkewSeconds"));
    assertFalse(told.json().containsKey("reason"));
    assertEquals(200, secondStep(b, "code", user.code()).status(), "nothing was spent: the right code works");
  }

  @Test
  void a_plainly_wrong_code_says_nothing_about_clocks() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Response wrong = secondStep(user.pending(), "code", user.wrongCode());
    assertEquals(401, wrong.status());
    assertFalse(wrong.json().containsKey("clockSkewSeconds"), wrong.toString());
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status());
  }

  private static void assertRefused(Response answer) {
    assertEquals(401, answer.status(), answer.toString());
    assertEquals("invalid_code", answer.code());
  }

}
