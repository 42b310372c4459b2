package dev.gatehouse.session;

import dev.gatehouse.http.Problem;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Duration;

/**
 * Sudo: every factor-sensitive setting needs re-authentication at the account's full strength
 * within the last 10 minutes (docs/security.md 15, 25): the password and, with 2FA on, a second
 * factor too. Granted by {@code POST /api/me/sudo}; put this guard behind {@link SessionUser#required}.
 */
public final class Sudo {

  public static final Duration VALIDITY = Duration.ofMinutes(10);
  /** Between the password half and the code of a sudo: long enough to fetch a phone. */
  public static final Duration PASSWORD_HALF_VALIDITY = Duration.ofMinutes(5);

  private Sudo() {
  }

  public static Handler<RoutingContext> required(Clock clock) {
    return ctx -> {
      if (SessionUser.sudoUntil(ctx) > clock.millis()) {
        ctx.next();
      } else {
        ctx.fail(Problem.forbidden("sudo_required", "Confirm it's you to continue."));
      }
    };
  }
}
