package dev.gatehouse.session;

import dev.gatehouse.db.Sql;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Csrf;
import dev.gatehouse.http.Problem;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.SessionHandler;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Who the server-side session belongs to, and in which state (docs/design.md, "Sign-in flow"):
 * anonymous, pending (password given, second step owed) or signed in. The user is only ever taken
 * from here, never from a request parameter.
 *
 * <p>An anonymous visitor has no stored session (docs/security.md 30): nothing here looks at the
 * session of a request that brought no live session cookie, so vertx-web's lazy SessionHandler
 * stores nothing for it. The first row is written by a transition (the password step, an SSO
 * start), and every transition is saved with {@link #save} before its answer goes out, so the
 * next request finds it on whichever node it lands.
 */
public final class SessionUser {

  public static final Duration ABSOLUTE_TIMEOUT = PostgresSessionStore.ABSOLUTE_TIMEOUT;
  public static final Duration PENDING_TIMEOUT = Duration.ofMinutes(5);

  static final String USER = "user";
  static final String SIGNED_IN_AT = "signedInAt";
  static final String METHOD = "method";
  /** The organisation whose provider vouched for this sign-in, for an SSO session (docs/security.md 35). */
  static final String SSO_ORGANISATION = "ssoOrganisation";
  static final String PENDING_USER = "pendingUser";
  static final String PENDING_SINCE = "pendingSince";
  static final String PENDING_EMAIL = "pendingEmail";
  static final String PENDING_FAILURES = "pendingFailures";
  static final String SUDO_UNTIL = "sudoUntil";
  static final String SUDO_PASSWORD_AT = "sudoPasswordAt";

  private static final String GATE = SessionUser.class.getName() + ".gate";
  private static final String LIVE = SessionUser.class.getName() + ".live";
  private static final String ENDED = SessionUser.class.getName() + ".ended";

  /** A password step waiting for its second step: whose, since when (epoch ms), wrong codes so far. */
  public record Pending(UUID user, String email, long since, int failures) {
  }

  /** What the helpers need to know about the request's session handling. */
  private record Gate(String cookieName, SessionHandler handler, Metrics metrics) {
  }

  private SessionUser() {
  }

  /** Mounted right after the SessionHandler it names. */
  public static Handler<RoutingContext> gate(String cookieName, SessionHandler handler, Metrics metrics) {
    Gate gate = new Gate(cookieName, handler, metrics);
    return ctx -> {
      ctx.put(GATE, gate);
      ctx.next();
    };
  }

  /**
   * Counts the sessions this request ended in the metrics once it has answered with a success: they
   * were ended inside the caller's transaction, which is only certain once the answer says so.
   */
  static void countEnded(RoutingContext ctx, String reason, int ended) {
    Gate gate = ctx.get(GATE);
    if (gate == null || ended <= 0) {
      return;
    }
    ctx.addEndHandler(done -> {
      // The answer itself, as the access log reads it: done.succeeded() was false for an answered 204 here.
      if (ctx.response().ended() && ctx.response().getStatusCode() < 400) {
        gate.metrics().sessionsEnded(reason, ended);
      }
    });
  }

  /**
   * The request's stored session (found by its cookie, or started by this request), or null; never
   * makes one. SessionHandler drops a cookie that named no live row, so without the cookie there is
   * nothing to look at, and the session is not even touched.
   */
  static Session live(RoutingContext ctx) {
    Boolean known = ctx.get(LIVE);
    if (known == null) {
      Gate gate = ctx.get(GATE);
      known = gate != null && ctx.request().getCookie(gate.cookieName()) != null
          && ctx.session() instanceof StoredSession stored && stored.stored() && !stored.isDestroyed();
      ctx.put(LIVE, known);
    }
    return known ? ctx.session() : null;
  }

  /** What the request's CSRF token is bound to: its stored session's id, or "" for none. */
  public static String csrfBinding(RoutingContext ctx) {
    Session session = live(ctx);
    return session == null ? "" : session.id();
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

  /** The signed-in user, if any; a session 12 hours past its sign-in ends here whatever its row says. */
  public static Optional<UUID> signedIn(RoutingContext ctx, Clock clock) {
    Session session = live(ctx);
    if (session == null) {
      return Optional.empty();
    }
    String user = session.get(USER);
    long since = millis(session.get(SIGNED_IN_AT));
    if (user == null || since == 0) {
      return Optional.empty();
    }
    if (clock.millis() - since > ABSOLUTE_TIMEOUT.toMillis()) {
      end(ctx);
      return Optional.empty();
    }
    return Optional.of(UUID.fromString(user));
  }

  /** The signed-in user; only call behind {@link #required}. */
  public static UUID id(RoutingContext ctx) {
    return UUID.fromString(ctx.session().get(USER));
  }

  /**
   * Gives the session a new id (the old one becomes worthless) and the CSRF token that follows it.
   * On a request without a stored session this starts one, stored when it is saved.
   */
  public static void rotate(RoutingContext ctx) {
    Session session = ctx.session();
    if (session instanceof StoredSession stored && !stored.stored()) {
      ClientInfo client = ClientInfo.of(ctx);
      stored.seenFrom(client.userAgent(), client.ip());
    }
    session.regenerateId();
    ctx.put(LIVE, true);
    Csrf.rotate(ctx);
  }

  /** The request's stored session, if it brought one; never starts one (an anonymous visitor stores nothing). */
  public static Optional<Session> current(RoutingContext ctx) {
    return Optional.ofNullable(live(ctx));
  }

  /**
   * Forgets whoever this session belonged to and continues it, empty, under a new id (the old one
   * worthless): for a flow that must sign everyone out of this browser and still remember something
   * in it (an SSO identity waiting to be linked). Starts one when there is none.
   */
  public static Session restart(RoutingContext ctx) {
    Session session = live(ctx);
    if (session == null) {
      return begin(ctx);
    }
    session.data().clear();
    rotate(ctx);
    return session;
  }

  /** The request's stored session, started (under a new id) when there is none: for an SSO start. */
  public static Session begin(RoutingContext ctx) {
    if (live(ctx) == null) {
      rotate(ctx);
    }
    return ctx.session();
  }

  /** Takes a value out of the stored session (null when there is none): it serves once. */
  public static String take(RoutingContext ctx, String key) {
    Session session = live(ctx);
    return session == null ? null : session.remove(key);
  }

  public static void signIn(RoutingContext ctx, UUID user, String method, Clock clock) {
    rotate(ctx);
    markSignedIn(ctx.session().data(), user, method, clock.millis());
  }

  /** What a session holds once signed in: the user, when and how; no pending step, sudo or provider. */
  private static void markSignedIn(Map<String, Object> data, UUID user, String method, long at) {
    for (String key : List.of(PENDING_USER, PENDING_EMAIL, PENDING_SINCE, PENDING_FAILURES, SSO_ORGANISATION,
        SUDO_UNTIL, SUDO_PASSWORD_AT)) {
      data.remove(key);
    }
    data.put(USER, user.toString());
    data.put(SIGNED_IN_AT, at);
    data.put(METHOD, method);
  }

  /**
   * The sign-in that completes this request's pending sign-in, prepared to be written inside the
   * statement that settles the second factor (one statement fewer per sign-in, docs/design.md
   * "The second step"); empty when the request has no stored pending session. Nothing changes in
   * the session until {@link SignInWrite#apply} (a refused proof leaves it pending, under its id).
   */
  public static Optional<SignInWrite> prepareSignIn(RoutingContext ctx, UUID user, String method, Clock clock) {
    if (!(live(ctx) instanceof StoredSession stored) || pending(ctx).filter(p -> p.user().equals(user)).isEmpty()) {
      return Optional.empty();
    }
    Map<String, Object> data = stored.snapshot();
    long at = clock.millis();
    markSignedIn(data, user, method, at);
    return Optional.of(new SignInWrite(ctx, stored, stored.reserveId(), user, method, at, data, clock.millis()));
  }

  /** A prepared sign-in: the row's write, and the same change made to the session once the row holds it. */
  public static final class SignInWrite {
    private final RoutingContext ctx;
    private final StoredSession session;
    private final String next;
    private final UUID user;
    private final String method;
    private final long at;
    private final Map<String, Object> data;
    private final long now;

    private SignInWrite(RoutingContext ctx, StoredSession session, String next, UUID user, String method, long at,
                        Map<String, Object> data, long now) {
      this.ctx = ctx;
      this.session = session;
      this.next = next;
      this.user = user;
      this.method = method;
      this.at = at;
      this.data = data;
      this.now = now;
    }

    /**
     * The row's write as a data-modifying statement for a CTE ({@code RETURNING handle}): the pending
     * session signed in under its new id. {@code condition} ({@code " AND …"}) can stop it; it writes
     * nothing either when the session is no longer this user's pending one (ended meanwhile).
     */
    public Sql write(String condition) {
      return PostgresSessionStore.signInFragment(session.storedId(), next, user, data, method, now, condition);
    }

    /** The row holds the sign-in: the session takes the same state (new id, new CSRF token) and has nothing to save. */
    public void apply() {
      rotate(ctx);
      markSignedIn(session.data(), user, method, at);
      session.written(data, session.handle());
    }
  }

  /**
   * Signs in a user whom their organisation's identity provider vouched for: no second step (the
   * seed: 2FA is not used when SSO is on), but the same id and CSRF rotation as every sign-in. The
   * session remembers the organisation, so that a change of its provider ends it.
   */
  public static void signInThroughSso(RoutingContext ctx, UUID user, UUID organisation, Clock clock) {
    signIn(ctx, user, "sso", clock);
    ctx.session().put(SSO_ORGANISATION, organisation.toString());
  }

  /** The password step is done, the second step owed; the email is kept for what follows the sign-in. */
  public static void startPending(RoutingContext ctx, UUID user, String email, Clock clock) {
    Session session = ctx.session();
    session.remove(USER);
    session.remove(SIGNED_IN_AT);
    session.remove(METHOD);
    session.remove(SSO_ORGANISATION);
    session.remove(SUDO_UNTIL);
    session.remove(SUDO_PASSWORD_AT);
    rotate(ctx);
    session.put(PENDING_USER, user.toString());
    session.put(PENDING_EMAIL, email);
    session.put(PENDING_SINCE, clock.millis());
    session.put(PENDING_FAILURES, 0);
  }

  /** The pending sign-in is over; a session left with nothing in it ends (its row goes). */
  public static void clearPending(RoutingContext ctx) {
    Session session = live(ctx);
    if (session == null) {
      return;
    }
    removePending(session);
    if (session.isEmpty()) {
      end(ctx);
    }
  }

  private static void removePending(Session session) {
    session.remove(PENDING_USER);
    session.remove(PENDING_EMAIL);
    session.remove(PENDING_SINCE);
    session.remove(PENDING_FAILURES);
  }

  /** The pending second step of this session, if any (its age is the caller's to judge). */
  public static Optional<Pending> pending(RoutingContext ctx) {
    Session session = live(ctx);
    if (session == null) {
      return Optional.empty();
    }
    String user = session.get(PENDING_USER);
    long since = millis(session.get(PENDING_SINCE));
    return user == null || since == 0 ? Optional.empty()
        : Optional.of(new Pending(UUID.fromString(user), session.get(PENDING_EMAIL), since,
            (int) millis(session.get(PENDING_FAILURES))));
  }

  /** Counts one more wrong code against the pending state; answers the count. */
  public static int pendingFailed(RoutingContext ctx) {
    int now = (int) millis(ctx.session().get(PENDING_FAILURES)) + 1;
    ctx.session().put(PENDING_FAILURES, now);
    return now;
  }

  /** Forgets everyone: the session ends (its row is deleted, the cookie expired), the CSRF token is anonymous. */
  public static void signOut(RoutingContext ctx) {
    end(ctx);
  }

  private static void end(RoutingContext ctx) {
    Session session = live(ctx);
    if (session != null) {
      session.destroy();
      ctx.put(LIVE, false);
      ctx.put(ENDED, true);
      Csrf.rotate(ctx);
    }
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
    Session session = live(ctx);
    return session == null ? 0 : millis(session.get(SUDO_PASSWORD_AT));
  }

  /** The end of the sudo grant in epoch milliseconds, or 0. */
  public static long sudoUntil(RoutingContext ctx) {
    Session session = live(ctx);
    return session == null ? 0 : millis(session.get(SUDO_UNTIL));
  }

  /**
   * Writes what this request changed in its session (new data, a new id, its end) and sets the
   * cookie, before the answer goes out: the next request may land on another node. Call it after
   * every transition; vertx-web alone would write only after the answer was sent.
   */
  public static Future<Void> save(RoutingContext ctx) {
    Gate gate = ctx.get(GATE);
    if (gate == null || ctx.get(LIVE) == null) {
      return Future.succeededFuture(); // the session was never looked at: nothing to write
    }
    return gate.handler().flush(ctx, true);
  }

  /**
   * For error answers, which vertx-web never stores: a change that must hold all the same (a wrong
   * code counted against the pending sign-in, a session ended) is written first. Never fails.
   */
  public static Future<Void> saveChanges(RoutingContext ctx) {
    Gate gate = ctx.get(GATE);
    boolean touched = Boolean.TRUE.equals(ctx.get(LIVE)) || Boolean.TRUE.equals(ctx.get(ENDED));
    if (gate == null || !touched || !(ctx.session() instanceof StoredSession stored) || !stored.unsaved()) {
      return Future.succeededFuture(); // an anonymous visitor's session is not even looked at
    }
    return gate.handler().flush(ctx, true).recover(err -> Future.succeededFuture());
  }

  /** The current session's handle, the one the API shows; null without a stored session. */
  static UUID handle(RoutingContext ctx) {
    return live(ctx) instanceof StoredSession stored ? stored.handle() : null;
  }

  /** Numbers come back from the table as Integer or Long, whichever fits. */
  private static long millis(Object value) {
    return value instanceof Number n ? n.longValue() : 0;
  }
}
