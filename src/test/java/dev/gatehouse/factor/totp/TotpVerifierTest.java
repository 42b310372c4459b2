package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TotpVerifierTest {

  /** A fixed key, so the codes of nearby steps are known to differ (random keys collide one time in a million). */
  private static final byte[] KEY = TotpTest.SHA1_SEED;
  /** 15 s into a step, so ±1 step is ±30 s of drift. */
  private static final long NOW = 1_700_000_015L;
  private static final long STEP = NOW / 30;

  private final TotpVerifier verifier = new TotpVerifier(Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

  private static String codeAtStep(long step) {
    return Totp.STANDARD.codeForStep(KEY, step);
  }

  @Test
  void theCurrentCodeIsAcceptedWithItsStep() {
    TotpCheck check = verifier.verify(KEY, codeAtStep(STEP));
    assertTrue(check.accepted());
    assertEquals(STEP, check.step());
    assertEquals(STEP, verifier.currentStep());
  }

  @Test
  void oneStepOfDriftEitherWayIsAccepted() {
    assertEquals(STEP - 1, verifier.verify(KEY, codeAtStep(STEP - 1)).step());
    assertEquals(STEP + 1, verifier.verify(KEY, codeAtStep(STEP + 1)).step());
  }

  @Test
  void twoStepsAwayIsRefused() {
    // Refused, though recognised as a drifted clock's code (docs/security.md 1 and 27).
    assertEquals(TotpCheck.Outcome.SKEWED, verifier.verify(KEY, codeAtStep(STEP - 2)).outcome());
    assertEquals(TotpCheck.Outcome.SKEWED, verifier.verify(KEY, codeAtStep(STEP + 2)).outcome());
    assertFalse(verifier.verify(KEY, codeAtStep(STEP + 2)).accepted());
  }

  @Test
  void aCodeUpToTenMinutesOffTellsTheSkewAndOneFurtherIsPlainlyWrong() {
    TotpCheck ahead = verifier.verify(KEY, codeAtStep(STEP + 20));
    assertEquals(TotpCheck.Outcome.SKEWED, ahead.outcome());
    assertEquals(600, verifier.skewSeconds(ahead.step()));
    TotpCheck behind = verifier.verify(KEY, codeAtStep(STEP - 7));
    assertEquals(-210, verifier.skewSeconds(behind.step()));
    // KEY and NOW are fixed, and this code differs from every code within 20 steps of NOW.
    assertEquals(TotpCheck.Outcome.REFUSED, verifier.verify(KEY, codeAtStep(STEP + 21)).outcome());
  }

  @Test
  void nearbyStepsHaveDistinctCodesForTheTestKey() {
    java.util.Set<String> codes = new java.util.HashSet<>();
    for (long step = STEP - 3; step <= STEP + 3; step++) {
      codes.add(codeAtStep(step));
    }
    assertEquals(7, codes.size(), "the edge tests below rely on this");
  }

  @Test
  void windowEdgesFollowTheServerClockToTheSecond() {
    long stepStart = STEP * 30;
    String previous = codeAtStep(STEP - 1);
    // At the last second of the current step the previous step is still in the window...
    assertTrue(at(stepStart + 29).verify(KEY, previous).accepted());
    // ...and one second later it is two steps behind.
    assertFalse(at(stepStart + 30).verify(KEY, previous).accepted());
    String next = codeAtStep(STEP + 1);
    assertTrue(at(stepStart).verify(KEY, next).accepted());
    assertFalse(at(stepStart - 1).verify(KEY, next).accepted());
  }

  @Test
  void aWrongCodeIsRefusedNotMalformed() {
    java.util.Set<String> window = java.util.Set.of(codeAtStep(STEP - 1), codeAtStep(STEP), codeAtStep(STEP + 1));
    String wrong = java.util.stream.Stream.of("000000", "111111", "222222").filter(c -> !window.contains(c))
        .findFirst().orElseThrow();
    assertEquals(TotpCheck.Outcome.REFUSED, verifier.verify(KEY, wrong).outcome());
  }

  @Test
  void whitespaceIsStrippedBeforeChecking() {
    String code = codeAtStep(STEP);
    String spaced = " " + code.substring(0, 2) + " " + code.substring(2, 4) + "\t" + code.substring(4) + "\n";
    assertTrue(verifier.verify(KEY, spaced).accepted());
    assertTrue(verifier.verify(KEY, code.substring(0, 3) + "\u00a0" + code.substring(3)).accepted());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "      ", "12345", "1234567", "12345a", "١٢٣٤٥٦", "１２３４５６", "+12345", "-12345",
      "12345.", "0x1234", "12\u000034", "1 2 3 4 5 6 7"})
  void malformedInputIsMalformed(String input) {
    assertTrue(verifier.verify(KEY, input).malformed(), () -> "should be malformed: " + input);
  }

  @Test
  void nullAndHugeInputsAreMalformed() {
    assertTrue(verifier.verify(KEY, null).malformed());
    assertTrue(verifier.verify(KEY, "1".repeat(10_000)).malformed());
    assertTrue(verifier.verify(KEY, " ".repeat(10_000) + codeAtStep(STEP)).malformed());
  }

  @Test
  void normalisationKeepsExactlySixAsciiDigits() {
    assertEquals(Optional.of("123456"), SubmittedCode.normalise("12 34 56"));
    assertEquals(Optional.of("012345"), SubmittedCode.normalise("012345"));
    assertEquals(Optional.empty(), SubmittedCode.normalise("١٢٣٤٥٦"));
  }

  private TotpVerifier at(long epochSeconds) {
    return new TotpVerifier(Clock.fixed(Instant.ofEpochSecond(epochSeconds), ZoneOffset.UTC));
  }
}
