package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestServer;
import dev.gatehouse.factor.totp.Totp;
import dev.gatehouse.factor.totp.TotpVerifier;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timing side channels, measured: medians of many interleaved tries, printed for the record (see
 * target/surefire-reports/dev.gatehouse.attacks.TimingTest-output.txt). The bounds are loose on
 * purpose, since the machine is shared; the printed figures are the evidence.
 */
@ExtendWith(VertxExtension.class)
class TimingTest {

  @Test
  void a_wrong_password_and_an_unknown_email_take_the_same_time(Vertx vertx) {
    // Budgets out of the way: this measures the password step itself, many times for one account.
    JsonObject config = new JsonObject().put("GATEHOUSE_PASSWORD_ACCOUNT_LIMIT", 1000)
        .put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 1000);
    try (TestServer server = TestServer.start(vertx, config)) {
      String email = Emails.unique("timed");
      Browser browser = server.browser();
      assertEquals(201, browser.signUp(email, "correct horse battery staple").status());
      for (int i = 0; i < 5; i++) { // warm-up
        browser.signIn(email, "warm-up guess");
        browser.signIn(Emails.unique("warm"), "warm-up guess");
      }
      List<Long> known = new ArrayList<>();
      List<Long> unknown = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String guess = "wrong password " + i;
        known.add(micros(() -> browser.signIn(email, guess).status()));
        unknown.add(micros(() -> browser.signIn(Emails.unique("nobody"), guess).status()));
      }
      long k = median(known);
      long u = median(unknown);
      System.out.printf("password step, median of 30: wrong password %d µs, unknown email %d µs (ratio %.2f)%n",
          k, u, (double) u / k);
      assertTrue(u > k * 0.75 && u < k * 1.33, "wrong password " + k + " µs vs unknown email " + u + " µs");
    }
  }

  @Test
  void comparing_codes_does_not_leak_the_position_of_the_first_wrong_digit() {
    byte[] key = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
    long now = Clock.systemUTC().instant().getEpochSecond();
    String right = Totp.STANDARD.codeAt(key, now);
    String firstWrong = flip(right, 0);
    String lastWrong = flip(right, 5);

    // The comparison itself, on the 6 bytes of a code.
    byte[] expected = right.getBytes(StandardCharsets.US_ASCII);
    byte[] first = firstWrong.getBytes(StandardCharsets.US_ASCII);
    byte[] last = lastWrong.getBytes(StandardCharsets.US_ASCII);
    // A leak is systematic and shows in every round; noise on a shared machine does not. Up to 5 rounds.
    TotpVerifier verifier = new TotpVerifier(Clock.systemUTC());
    assertFalse(verifier.verify(key, firstWrong).accepted());
    assertFalse(verifier.verify(key, lastWrong).accepted());
    double bestCompare = Double.MAX_VALUE;
    double bestVerify = Double.MAX_VALUE;
    for (int round = 1; round <= 5 && (bestCompare > 0.2 || bestVerify > 0.2); round++) {
      double[] compare = interleaved(() -> MessageDigest.isEqual(expected, first) ? 1 : 0,
          () -> MessageDigest.isEqual(expected, last) ? 1 : 0, 20_000);
      System.out.printf("round %d: code comparison (MessageDigest.isEqual), median ns/op: first digit wrong %.2f, "
          + "last digit wrong %.2f (ratio %.3f)%n", round, compare[0], compare[1], compare[1] / compare[0]);
      // End to end through the verifier: three HMACs, every candidate compared, no early exit.
      double[] verify = interleaved(() -> verifier.verify(key, firstWrong).accepted() ? 1 : 0,
          () -> verifier.verify(key, lastWrong).accepted() ? 1 : 0, 500);
      System.out.printf("round %d: TotpVerifier.verify, median ns/op: first digit wrong %.0f, last digit wrong %.0f "
          + "(ratio %.3f)%n", round, verify[0], verify[1], verify[1] / verify[0]);
      bestCompare = Math.min(bestCompare, Math.abs(compare[1] / compare[0] - 1));
      bestVerify = Math.min(bestVerify, Math.abs(verify[1] / verify[0] - 1));
    }
    assertTrue(bestCompare < 0.2, "the comparison's time depends on where the code is wrong: " + bestCompare);
    assertTrue(bestVerify < 0.2, "verification's time depends on where the code is wrong: " + bestVerify);
  }

  /** Median ns per call of a and of b, sampled in alternation so that drift hits both alike. */
  static double[] interleaved(Supplier<Integer> a, Supplier<Integer> b, int perSample) {
    long sink = 0;
    for (int i = 0; i < 50 * perSample; i++) { // warm-up, so that both are compiled before anything is timed
      sink += a.get() + b.get();
    }
    List<Double> as = new ArrayList<>();
    List<Double> bs = new ArrayList<>();
    for (int sample = 0; sample < 101; sample++) {
      boolean aFirst = sample % 2 == 0;
      for (int turn = 0; turn < 2; turn++) {
        boolean runA = (turn == 0) == aFirst;
        Supplier<Integer> s = runA ? a : b;
        long t = System.nanoTime();
        for (int i = 0; i < perSample; i++) {
          sink += s.get();
        }
        double ns = (double) (System.nanoTime() - t) / perSample;
        (runA ? as : bs).add(ns);
      }
    }
    assertEquals(0, sink, "every code was wrong");
    return new double[] {medianD(as), medianD(bs)};
  }

  static String flip(String code, int position) {
    char[] digits = code.toCharArray();
    digits[position] = (char) ('0' + (digits[position] - '0' + 5) % 10);
    return new String(digits);
  }

  static long micros(Supplier<Integer> request) {
    long t = System.nanoTime();
    int status = request.get();
    long elapsed = (System.nanoTime() - t) / 1000;
    assertEquals(401, status);
    return elapsed;
  }

  static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  static double medianD(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
