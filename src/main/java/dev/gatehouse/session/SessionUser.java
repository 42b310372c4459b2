package dev.gatehouse.session;

import dev.gatehouse.http.Csrf;
import dev.gatehouse.http.Problem;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Who the server-side session belongs to, and in which state (docs/design.md, "Sign-in flow"):
 * anonymous, pending (password given, second step owed) or signed in. The user is only ever taken
 * from here, never from a request parameter. Values are plain strings and numbers so that a
 * clustered session store can carry them.
 */
public final class SessionUser {

  /** Idle timeout is the session store's (30 minutes); this is the absolute one (docs/security.md 12). */
  public static final Duration ABSOLUTE_TIMEOUT = Duration.ofHours(12);
  public static final Duration PENDING_TIMEOUT = Duration.ofMinutes(5);

  static final String USER = "user";
  static final String SIGNED_IN_AT = "signedInAt";
  static final String METHOD = "method";
  static final String PENDING_USER = "pendingUser";
  static final String PENDING_SINCE = "pendingSince";
  static final String PENDING_FAILURES = "pendingFailures";
  static final String SUDO_UNTIL = "sudoUntil";
  static final String SUDO_PASSWORD_AT = "sudoPasswordAt";

  /** A password step waiting for its second step: whose, since when (epoch ms), wrong codes so far. */
  public record Pending(UUID user, long since, int failures) {
  }

  private SessionUser() {
  }

  /** A guard for every route that needs a signed-in user; a pending session is not signed in. */
  public static Handler<RoutingContext> required(Clock clock) {
    return ctx -> {
      if (signedIn(ctx, clock).isPresent()) {
        ctx.next();
      } else {
        ctx.fail(Problem.notSignedIn());
      }
    };
  }

  /** The signed-in user, if any; an expired session (12 hours since sign-in) is destroyed. */
  public static Optional<UUID> signedIn(RoutingContext ctx, Clock clock) {
    Session session = ctx.session();
    if (session == null || session.isDestroyed()) {
      return Optional.empty();
    }
    String user = session.get(USER);
    Long since = session.get(SIGNED_IN_AT);
    if (user == null || since == null) {
      return Optional.empty();
    }
    if (clock.millis() - since > ABSOLUTE_TIMEOUT.toMillis()) {
      session.destroy();
      return Optional.empty();
    }
    return Optional.of(UUID.fromString(user));
  }

  /** The signed-in user; only call behind {@link #required}. */
  public static UUID id(RoutingContext ctx) {
    return UUID.fromString(ctx.session().get(USER));
  }

  /** Rotates the session id (the old one becomes worthless) and the CSRF token that follows it. */
  public static void rotate(RoutingContext ctx) {
    ctx.session().regenerateId();
    Csrf.rotate(ctx);
  }

  public static void signIn(RoutingContext ctx, UUID user, String method, Clock clock) {
    clearPending(ctx);
    rotate(ctx);
    Session session = ctx.session();
    session.put(USER, user.toString());
    session.put(SIGNED_IN_AT, clock.millis());
    session.put(METHOD, method);
    session.remove(SUDO_UNTIL);
    session.remove(SUDO_PASSWORD_AT);
  }

  /**
   * Signs in a user whom their organisation's identity provider vouched for: no second step (the
   * seed: 2FA is not used when SSO is on), but the same id and CSRF rotation as every sign-in.
   */
  public static void signInThroughSso(RoutingContext ctx, UUID user, Clock clock) {
    signIn(ctx, user, "sso", clock);
  }

  public static void startPending(RoutingContext ctx, UUID user, Clock clock) {
    Session session = ctx.session();
    session.remove(USER);
    session.remove(SIGNED_IN_AT);
    session.remove(SUDO_UNTIL);
    session.remove(SUDO_PASSWORD_AT);
    rotate(ctx);
    session.put(PENDING_USER, user.toString());
    session.put(PENDING_SINCE, clock.millis());
    session.put(PENDING_FAILURES, 0);
  }

  public static void clearPending(RoutingContext ctx) {
    Session session = ctx.session();
    session.remove(PENDING_USER);
    session.remove(PENDING_SINCE);
    session.remove(PENDING_FAILURES);
  }

  /** The pending second step of this session, if any (its age is the caller's to judge). */
  public static Optional<Pending> pending(RoutingContext ctx) {
    Session session = ctx.session();
    if (session == null || session.isDestroyed()) {
      return Optional.empty();
    }
    String user = session.get(PENDING_USER);
    Long since = session.get(PENDING_SINCE);
    Integer failures = session.get(PENDING_FAILURES);
    return user == null || since == null ? Optional.empty()
        : Optional.of(new Pending(UUID.fromString(user), since, failures == null ? 0 : failures));
  }

  /** Counts one more wrong code against the pending state; answers the count. */
  public static int pendingFailed(RoutingContext ctx) {
    Integer failures = ctx.session().get(PENDING_FAILURES);
    int now = (failures == null ? 0 : failures) + 1;
    ctx.session().put(PENDING_FAILURES, now);
    return now;
  }

  /** Forgets everyone: a fresh anonymous session under a new id, the old id worthless. */
  public static void signOut(RoutingContext ctx) {
    ctx.session().data().clear();
    rotate(ctx);
  }

  /** Grants sudo (re-authentication at full strength) until the given instant, in epoch milliseconds. */
  public static void grantSudo(RoutingContext ctx, long untilMillis) {
    ctx.session().remove(SUDO_PASSWORD_AT);
    ctx.session().put(SUDO_UNTIL, untilMillis);
  }

  /** The password half of sudo for an account with 2FA: the code is still owed. */
  public static void sudoPasswordConfirmed(RoutingContext ctx, long atMillis) {
    ctx.session().put(SUDO_PASSWORD_AT, atMillis);
  }

  /** When the password half of sudo was given (epoch ms), or 0. */
  public static long sudoPasswordAt(RoutingContext ctx) {
    Long at = ctx.session().get(SUDO_PASSWORD_AT);
    return at == null ? 0 : at;
  }

  /** The end of the sudo grant in epoch milliseconds, or 0. */
  public static long sudoUntil(RoutingContext ctx) {
    Long until = ctx.session().get(SUDO_UNTIL);
    return until == null ? 0 : until;
  }
}
