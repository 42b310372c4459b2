package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guessing around the budgets: spreading code guesses over many half-finished sign-ins (the Zitadel
 * and Kratos bypass), and dressing one client up as many with a forged {@code X-Forwarded-For}.
 * The server trusts no proxy, as by default; the address budget is lowered to keep the test short.
 */
class GuessingAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject().put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 12), CLOCK);

  @Test
  void code_guesses_spread_over_six_pending_sessions_meet_the_account_budget_by_the_tenth() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> sessions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      sessions.add(user.pending());
    }
    List<Integer> statuses = new ArrayList<>();
    for (int guess = 0; guess < 12; guess++) {
      // Round-robin: no single pending state ever reaches its own limit of 5.
      Browser b = sessions.get(guess % sessions.size());
      statuses.add(secondStep(b, "code", String.format("%06d", guess * 7919 % 1_000_000)).status());
    }
    assertEquals(List.of(401, 401, 401, 401, 401, 401, 401, 401, 401, 429, 429, 429), statuses);
    Response right = secondStep(sessions.get(0), "code", user.code());
    assertEquals(429, right.status(), "blocked: even the right code, from any session");
  }

  @Test
  void a_forged_x_forwarded_for_from_an_untrusted_client_does_not_escape_the_address_budget() {
    Browser attacker = server.browser();
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      attacker.header("X-Forwarded-For", "203.0.113." + (i + 1) + ", 198.51.100." + (i + 1));
      Response r = attacker.signIn(Emails.unique("sprayed"), "Spring2026!");
      statuses.add(r.status());
    }
    assertEquals(401, statuses.get(0));
    assertEquals(429, statuses.get(11), "the 12th failure from one socket address: " + statuses);
    assertTrue(statuses.subList(11, 14).stream().allMatch(s -> s == 429), statuses.toString());
    CLOCK.advance(Duration.ofHours(2)); // the other tests here sign in from the same address
  }
}
