package dev.gatehouse.throttle;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The second step's budgets (docs/security.md 7-8), per account, across sessions. */
class SecondStepBudgetTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  /** Sends {@code n} wrong codes, opening a new pending session whenever the flow clears one (5 per state). */
  static List<Integer> guess(TwoFactorUser user, int n) {
    List<Integer> statuses = new ArrayList<>();
    Browser b = user.pending();
    int inThisState = 0;
    for (int i = 0; i < n; i++) {
      if (inThisState == 4) {
        b = user.pending();
        inThisState = 0;
      }
      statuses.add(secondStep(b, "code", user.wrongCode()).status());
      inThisState++;
    }
    return statuses;
  }

  @Test
  void the_tenth_wrong_code_answers_429_and_then_even_the_right_code_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Integer> statuses = guess(user, 10);
    assertEquals(Collections.nCopies(9, 401), statuses.subList(0, 9));
    assertEquals(429, statuses.get(9));
    Browser b = user.pending();
    Response right = secondStep(b, "code", user.code());
    assertEquals(429, right.status(), right.toString());
    assertEquals("too_many_attempts", right.code());
    assertEquals("900", right.header("Retry-After"));
    CLOCK.advance(Duration.ofMinutes(15));
    Browser later = user.pending();
    assertEquals(200, secondStep(later, "code", user.code()).status());
  }

  @Test
  void a_successful_password_step_does_not_refill_the_second_step_budget() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    guess(user, 9);
    Browser again = user.pending(); // the password, right once more
    assertEquals(429, secondStep(again, "code", user.wrongCode()).status());
  }

  @Test
  void a_right_code_refills_it() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    guess(user, 9);
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status());
    user.nextStep();
    assertEquals(Collections.nCopies(9, 401), guess(user, 9));
  }

  @Test
  void parallel_wrong_codes_from_fifteen_sessions_are_all_counted() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> sessions = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      sessions.add(user.pending());
    }
    String wrong = user.wrongCode();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Integer>> answers = sessions.stream().map(b -> CompletableFuture.supplyAsync(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return secondStep(b, "code", wrong).status();
    })).toList();
    go.countDown();
    List<Integer> statuses = answers.stream().map(CompletableFuture::join).toList();
    assertEquals(9, Collections.frequency(statuses, 401), statuses.toString());
    assertEquals(6, Collections.frequency(statuses, 429), statuses.toString());
  }

  @Test
  void recovery_codes_have_their_own_budget_so_the_owner_keeps_the_way_back() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    guess(user, 10);
    assertEquals(429, secondStep(user.pending(), "code", user.code()).status(), "authenticator codes blocked");
    Response recovered = secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(0));
    assertEquals(200, recovered.status(), "a recovery code still works: " + recovered);
    user.nextStep();
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status(), "and it refilled every budget");
  }

  @Test
  void the_tenth_wrong_recovery_code_answers_429_and_then_even_a_right_one_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Integer> statuses = new ArrayList<>();
    Browser b = user.pending();
    for (int i = 0; i < 10; i++) {
      if (i % 4 == 0) {
        b = user.pending();
      }
      statuses.add(secondStep(b, "recoveryCode", "AAAA-BBBB-CCCC-DDD" + i).status());
    }
    assertEquals(Collections.nCopies(9, 401), statuses.subList(0, 9));
    assertEquals(429, statuses.get(9));
    assertEquals(429, secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(0)).status());
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status(), "the app's codes are not blocked");
  }

  @Test
  void malformed_codes_are_not_counted() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    for (int i = 0; i < 15; i++) {
      assertEquals(400, secondStep(b, "code", "12345").status());
    }
    assertEquals(200, secondStep(b, "code", user.code()).status());
  }

  @Test
  void a_hundred_wrong_codes_in_a_row_lock_the_app_until_a_recovery_code_is_used() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    // Ten rounds of ten, each round waiting out the 15-minute block: slow guessing still ends here.
    for (int round = 0; round < 10; round++) {
      List<Integer> statuses = guess(user, 10);
      assertEquals(429, statuses.get(9), "round " + round + ": " + statuses);
      CLOCK.advance(Duration.ofHours(1));
    }
    Browser b = user.pending();
    Response right = secondStep(b, "code", user.code());
    assertEquals(403, right.status(), right.toString());
    assertEquals("totp_locked", right.code());
    Response password = server.browser().signIn(user.email, TwoFactorUser.PASSWORD);
    assertEquals(new JsonArray().add("recovery_code"), password.json().getJsonArray("methods"),
        "the sign-in page is told to ask for a recovery code");

    Browser recovering = user.pending();
    assertEquals(200, secondStep(recovering, "recoveryCode", user.recoveryCodes.get(1)).status());
    JsonArray events = recovering.get("/api/me/security-events").json().getJsonArray("events");
    assertTrue(events.stream().map(e -> ((JsonObject) e).getString("type")).anyMatch("two_factor.totp_locked"::equals),
        events.encodePrettily());
    user.nextStep();
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status(), "unlocked by the recovery code");
  }

  /** Sudo's code: the password half first, then each wrong code is a guess on the second step's budget. */
  private static Response sudoCode(TwoFactorUser user, String code) {
    Response half = user.browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertTrue(half.status() == 200 || half.status() == 429, half.toString());
    return user.browser.post("/api/me/sudo", new JsonObject().put("code", code));
  }

  @Test
  void codes_given_for_sudo_draw_on_the_same_code_budget() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      statuses.add(sudoCode(user, user.wrongCode()).status());
    }
    // As at sign-in: the 10th wrong code uses the budget up and is answered 429.
    assertEquals(Collections.nCopies(9, 401), statuses.subList(0, 9), statuses.toString());
    assertEquals(List.of(429, 429), statuses.subList(9, 11));
    assertEquals(429, sudoCode(user, user.code()).status(), "blocked, even with the right code");
    assertEquals(429, secondStep(user.pending(), "code", user.code()).status(), "and sign-in codes are blocked too");
  }

  @Test
  void a_right_sudo_code_refills_the_budget() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    for (int i = 0; i < 9; i++) {
      assertEquals(401, sudoCode(user, user.wrongCode()).status());
    }
    assertEquals(204, sudoCode(user, user.code()).status());
    user.nextStep();
    assertEquals(List.of(401, 401), guess(user, 2), "the count started afresh");
  }
}
