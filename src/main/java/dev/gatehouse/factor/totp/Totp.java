package dev.gatehouse.factor.totp;

/**
 * The parameters of a time-based code (RFC 6238, T0 = 0): which HMAC, how many digits, how long a step lasts.
 * Gatehouse issues {@link #STANDARD} only, since that is what every authenticator app understands.
 */
public record Totp(TotpAlgorithm algorithm, int digits, int periodSeconds) {

  /** SHA1, 6 digits, 30 seconds: the Google Authenticator defaults. */
  public static final Totp STANDARD = new Totp(TotpAlgorithm.SHA1, 6, 30);

  public Totp {
    if (algorithm == null) {
      throw new IllegalArgumentException("algorithm is required");
    }
    if (digits < 6 || digits > 8) {
      throw new IllegalArgumentException("digits must be 6, 7 or 8");
    }
    if (periodSeconds <= 0) {
      throw new IllegalArgumentException("periodSeconds must be positive");
    }
  }

  /** The time step that contains this instant (floor, so instants before 1970 still map consistently). */
  public long step(long epochSeconds) {
    return Math.floorDiv(epochSeconds, periodSeconds);
  }

  /** The code of one time step. */
  public String codeForStep(byte[] key, long step) {
    return Hotp.code(key, step, digits, algorithm);
  }

  /** The code an authenticator app shows at this instant. */
  public String codeAt(byte[] key, long epochSeconds) {
    return codeForStep(key, step(epochSeconds));
  }
}
