package dev.gatehouse.session;

import dev.gatehouse.http.Problem;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Duration;

/**
 * "Confirm your password": sensitive settings need the password given within the last 10 minutes
 * (docs/security.md 15). Put behind {@link SessionUser#required}.
 */
public final class Sudo {

  public static final Duration VALIDITY = Duration.ofMinutes(10);

  private Sudo() {
  }

  public static Handler<RoutingContext> required(Clock clock) {
    return ctx -> {
      if (SessionUser.sudoUntil(ctx) > clock.millis()) {
        ctx.next();
      } else {
        ctx.fail(Problem.forbidden("sudo_required", "Confirm your password to continue."));
      }
    };
  }
}
