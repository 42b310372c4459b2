package dev.gatehouse.throttle;

import dev.gatehouse.config.Settings;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The password step's budgets (docs/security.md 9). The server trusts 127.0.0.1 as a proxy, so each test
 * can play its own client address with {@code X-Forwarded-For}.
 */
class PasswordBudgetTest {

  static final String PASSWORD = "correct horse battery staple";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject()
      .put(Settings.TRUSTED_PROXIES, "127.0.0.1")
      .put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 20), CLOCK);

  /** A browser at a client address of its own. */
  static Browser browser() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return server.browser().header("X-Forwarded-For", "198.51." + r.nextInt(256) + "." + r.nextInt(1, 255));
  }

  static String newAccount() {
    String email = Emails.unique("pat");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    return email;
  }

  @Test
  void the_tenth_wrong_password_answers_429_and_then_even_the_right_one_is_refused() {
    String email = newAccount();
    Browser browser = browser();
    for (int i = 1; i <= 9; i++) {
      assertEquals(401, browser.signIn(email, "wrong password " + i).status(), "attempt " + i);
    }
    Response tenth = browser.signIn(email, "wrong password 10");
    assertEquals(429, tenth.status(), tenth.toString());
    assertEquals("too_many_attempts", tenth.code());
    assertEquals("60", tenth.header("Retry-After"));
    Response right = browser().signIn(email, PASSWORD);
    assertEquals(429, right.status(), "another address, the right password, and still blocked");
    assertNotNull(right.header("Retry-After"));
    CLOCK.advance(Duration.ofSeconds(61));
    assertEquals(200, browser().signIn(email, PASSWORD).status());
  }

  @Test
  void an_unknown_email_is_counted_and_answered_exactly_like_a_known_one() {
    String known = newAccount();
    String unknown = Emails.unique("ghost");
    List<String> knownAnswers = new ArrayList<>();
    List<String> unknownAnswers = new ArrayList<>();
    for (int i = 1; i <= 11; i++) {
      Response k = browser().signIn(known, "wrong password");
      Response u = browser().signIn(unknown, "wrong password");
      knownAnswers.add(k.status() + " " + k.header("Retry-After") + " " + k.body());
      unknownAnswers.add(u.status() + " " + u.header("Retry-After") + " " + u.body());
    }
    assertEquals(knownAnswers, unknownAnswers);
    assertTrue(knownAnswers.get(10).startsWith("429 "), knownAnswers.get(10));
  }

  @Test
  void a_blocked_attacker_costs_no_password_hash() {
    String email = newAccount();
    Browser browser = browser();
    List<Long> checked = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      long t = System.nanoTime();
      browser.signIn(email, "wrong password " + i);
      checked.add(System.nanoTime() - t);
    }
    List<Long> refused = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long t = System.nanoTime();
      assertEquals(429, browser.signIn(email, "wrong password").status());
      refused.add(System.nanoTime() - t);
    }
    long checkedMedian = median(checked) / 1000;
    long refusedMedian = median(refused) / 1000;
    System.out.printf("password step: checked median %d µs, refused (blocked) median %d µs%n", checkedMedian,
        refusedMedian);
    assertTrue(refusedMedian * 2 < checkedMedian, "refused " + refusedMedian + " µs vs checked " + checkedMedian + " µs");
  }

  @Test
  void the_back_off_grows_with_each_block() {
    String email = newAccount();
    List<String> retries = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      Response last = null;
      for (int i = 0; i < 10; i++) {
        last = browser().signIn(email, "wrong password");
      }
      assertEquals(429, last.status());
      retries.add(last.header("Retry-After"));
      CLOCK.advance(Duration.ofSeconds(Long.parseLong(last.header("Retry-After"))));
    }
    assertEquals(List.of("60", "120", "240"), retries);
  }

  @Test
  void the_right_password_forgets_the_accounts_failures() {
    String email = newAccount();
    for (int i = 0; i < 9; i++) {
      assertEquals(401, browser().signIn(email, "typo " + i).status());
    }
    assertEquals(200, browser().signIn(email, PASSWORD).status());
    for (int i = 0; i < 9; i++) {
      assertEquals(401, browser().signIn(email, "typo " + i).status(), "a fresh budget after the success");
    }
  }

  @Test
  void signing_in_to_ones_own_account_does_not_refill_the_address_budget() {
    String own = newAccount();
    Browser attacker = browser();
    int refusedAt = -1;
    for (int i = 1; i <= 25 && refusedAt < 0; i++) {
      assertEquals(200, attacker.signIn(own, PASSWORD).status());
      Response guess = attacker.signIn(Emails.unique("victim"), "guess " + i);
      if (guess.status() == 429) {
        refusedAt = i;
      } else {
        assertEquals(401, guess.status());
      }
    }
    assertEquals(20, refusedAt, "the address budget (20 here) counts failures only, whatever succeeds between them");
    assertEquals(429, attacker.signIn(own, PASSWORD).status(), "the address is blocked for every account");
  }

  @Test
  void parallel_wrong_passwords_are_all_counted_and_exactly_ten_are_checked() throws Exception {
    String email = newAccount();
    List<CompletableFuture<Response>> all = IntStream.range(0, 30)
        .mapToObj(i -> CompletableFuture.supplyAsync(() -> browser().signIn(email, "parallel guess " + i)))
        .toList();
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<Response> f : all) {
      statuses.add(f.get().status());
    }
    assertEquals(9, Collections.frequency(statuses, 401), statuses.toString());
    assertEquals(21, Collections.frequency(statuses, 429), statuses.toString());
  }

  @Test
  void malformed_input_is_not_counted() {
    String email = newAccount();
    Browser browser = browser();
    for (int i = 0; i < 20; i++) {
      Response r = browser.post("/api/session", new JsonObject().put("email", email).put("password", 12345678));
      assertEquals(400, r.status());
    }
    assertEquals(200, browser.signIn(email, PASSWORD).status());
  }

  static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
