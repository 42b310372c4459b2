package dev.gatehouse.factor.passkey;

import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;

/**
 * The request options for {@code navigator.credentials.get()} when a passkey follows the password: the
 * second step of a pending sign-in, and sudo. The challenge is kept server side for the account whose
 * password was given (the pending user, or the signed-in one, never one named by the request), used once,
 * for 5 minutes (docs/security.md 44); the answer goes to {@code POST /api/session/two-factor} or
 * {@code POST /api/me/sudo} as {@code {"passkey": …}}.
 */
public final class PasskeyOptions implements RouteModule {

  static final String SECOND_STEP = "/api/session/two-factor/passkey/options";
  static final String SUDO = "/api/me/sudo/passkey/options";

  private final Pool pool;
  private final PasskeyCeremony ceremony;
  private final Clock clock;

  public PasskeyOptions(Pool pool, PasskeyCeremony ceremony, Clock clock) {
    this.pool = pool;
    this.ceremony = ceremony;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.post(SECOND_STEP).handler(this::secondStep);
    router.post(SUDO).handler(SessionUser.required(clock)).handler(ctx -> options(ctx, SessionUser.id(ctx)));
  }

  /** Only for a sign-in whose password step is done and still fresh, as the second step itself. */
  private void secondStep(RoutingContext ctx) {
    Optional<SessionUser.Pending> pending = SessionUser.pending(ctx);
    if (pending.isEmpty() || clock.millis() - pending.get().since() > SessionUser.PENDING_TIMEOUT.toMillis()) {
      ctx.fail(Problem.unauthorized("two_factor_expired", "There is no sign-in waiting for a passkey. Start again."));
      return;
    }
    options(ctx, pending.get().user());
  }

  private void options(RoutingContext ctx, UUID user) {
    JsonBody.read(ctx);
    ceremony.assertionOptions(pool, user)
        .onSuccess(options -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store").end(new JsonObject().put("publicKey", options).encode()))
        .onFailure(ctx::fail);
  }
}
