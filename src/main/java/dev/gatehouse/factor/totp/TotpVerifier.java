package dev.gatehouse.factor.totp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;

/**
 * Checks a submitted code against a key at the server's time (never a time the client names),
 * accepting one step of clock drift either way (docs/security.md 1 and 4).
 */
public final class TotpVerifier {

  /** Steps accepted on either side of the current one. */
  public static final int WINDOW = 1;
  /** Steps searched on either side, beyond the window, to tell a person their clock is off: 10 minutes. */
  public static final int SKEW_STEPS = 20;

  private final Clock clock;
  private final Totp totp;

  public TotpVerifier(Clock clock) {
    this(clock, Totp.STANDARD);
  }

  public TotpVerifier(Clock clock, Totp totp) {
    this.clock = clock;
    this.totp = totp;
  }

  /** The step an authenticator app is showing right now, by the server's clock. */
  public long currentStep() {
    return totp.step(Math.floorDiv(clock.millis(), 1000L));
  }

  public Totp totp() {
    return totp;
  }

  /**
   * Every candidate is computed and compared, with no early exit, so the time taken says nothing
   * about which step (if any) matched or where a wrong code first differs.
   */
  public TotpCheck verify(byte[] key, String submitted) {
    var normalised = SubmittedCode.normalise(submitted, totp.digits());
    if (normalised.isEmpty()) {
      return TotpCheck.MALFORMED_CHECK;
    }
    byte[] given = normalised.get().getBytes(StandardCharsets.US_ASCII);
    long current = currentStep();
    int candidates = 2 * WINDOW + 1;
    boolean[] matches = new boolean[candidates];
    for (int i = 0; i < candidates; i++) {
      byte[] expected = totp.codeForStep(key, current - WINDOW + i).getBytes(StandardCharsets.US_ASCII);
      matches[i] = MessageDigest.isEqual(expected, given);
    }
    // Prefer the current step, then the past one, then the next: the likeliest intent when codes collide.
    if (matches[WINDOW]) {
      return TotpCheck.acceptedAt(current);
    }
    for (int distance = 1; distance <= WINDOW; distance++) {
      if (matches[WINDOW - distance]) {
        return TotpCheck.acceptedAt(current - distance);
      }
      if (matches[WINDOW + distance]) {
        return TotpCheck.acceptedAt(current + distance);
      }
    }
    // Not a code of the window. Perhaps of a step a few minutes off: a device whose clock drifted.
    // Timing may show that we searched further, which the answer says anyway.
    for (int distance = WINDOW + 1; distance <= SKEW_STEPS; distance++) {
      boolean behind = MessageDigest.isEqual(totp.codeForStep(key, current - distance)
          .getBytes(StandardCharsets.US_ASCII), given);
      boolean ahead = MessageDigest.isEqual(totp.codeForStep(key, current + distance)
          .getBytes(StandardCharsets.US_ASCII), given);
      if (behind || ahead) {
        return TotpCheck.skewedTo(behind ? current - distance : current + distance);
      }
    }
    return TotpCheck.REFUSED_CHECK;
  }

  /** How far ahead (positive) or behind (negative) the device's clock is, for a code of {@code step}. */
  public long skewSeconds(long step) {
    return (step - currentStep()) * totp.periodSeconds();
  }
}
