package dev.gatehouse.factor.totp;

/**
 * The verdict on one submitted code. An accepted code carries its time step, so the caller can
 * refuse any step at or below the last accepted one (the replay guard lives in SQL).
 */
public record TotpCheck(Outcome outcome, long step) {

  public enum Outcome {
    /** A code of the previous, current or next step. */
    ACCEPTED,
    /** Well-formed but not a code of any step in the window. */
    REFUSED,
    /**
     * Refused, but the code of a step further away (within {@link TotpVerifier#SKEW_STEPS}): the
     * device's clock is off by {@link #skewSeconds} (docs/security.md 27).
     */
    SKEWED,
    /** Not 6 ASCII digits after stripping whitespace: the HTTP layer answers 400. */
    MALFORMED
  }

  static final TotpCheck REFUSED_CHECK = new TotpCheck(Outcome.REFUSED, -1);
  static final TotpCheck MALFORMED_CHECK = new TotpCheck(Outcome.MALFORMED, -1);

  static TotpCheck acceptedAt(long step) {
    return new TotpCheck(Outcome.ACCEPTED, step);
  }

  static TotpCheck skewedTo(long step) {
    return new TotpCheck(Outcome.SKEWED, step);
  }

  public boolean skewed() {
    return outcome == Outcome.SKEWED;
  }

  public boolean accepted() {
    return outcome == Outcome.ACCEPTED;
  }

  public boolean malformed() {
    return outcome == Outcome.MALFORMED;
  }
}
