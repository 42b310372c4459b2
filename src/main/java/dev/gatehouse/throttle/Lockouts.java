package dev.gatehouse.throttle;

import dev.gatehouse.http.Problem;

/** The security events and the answer of a used-up budget. */
public final class Lockouts {

  /** A budget was used up; details name it ({@code budget}) and the block ({@code retryAfter}, seconds). */
  public static final String LOCKED = "signin.locked";
  /** 100 wrong TOTP codes in a row: the app's codes are refused until a recovery code is used. */
  public static final String TOTP_LOCKED = "two_factor.totp_locked";

  private Lockouts() {
  }

  public static Problem tooManyAttempts(long retryAfterSeconds) {
    long minutes = (retryAfterSeconds + 59) / 60;
    return Problem.tooManyRequests("too_many_attempts", retryAfterSeconds, minutes <= 1
        ? "Too many attempts. Try again in a minute."
        : "Too many attempts. Try again in " + minutes + " minutes.");
  }

  public static Problem totpLocked() {
    return Problem.forbidden("totp_locked",
        "Too many wrong codes from your authenticator app. Sign in with a recovery code.");
  }
}
