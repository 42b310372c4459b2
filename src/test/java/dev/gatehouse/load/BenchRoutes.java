package dev.gatehouse.load;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.factor.totp.TotpStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.sstore.SessionStore;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.UUID;

/**
 * Measurement-only routes for bench/login-bench.sh: how many sessions the store holds, and the floor
 * for the second sign-in step. They live on the test class path only, mounted by {@link BenchMain}
 * (a production build cannot contain them, docs/security.md 43), and sit before every other handler
 * (no access log, session, body or CSRF handling), so they cost only what Vert.x itself costs.
 */
public final class BenchRoutes implements RouteModule {

  private static final Logger LOG = LoggerFactory.getLogger(BenchRoutes.class);
  private final Pool pool;
  private final SessionStore sessions;
  private final PasswordHasher hasher;

  private BenchRoutes(Pool pool, SessionStore sessions, PasswordHasher hasher) {
    this.pool = pool;
    this.sessions = sessions;
    this.hasher = hasher;
  }

  /** The extras that put these routes ahead of the server's own. */
  public static Gatehouse.Extras extras() {
    return internals -> {
      LOG.warn("Unauthenticated measurement routes under /bench/ are on: a benchmark server, never production");
      return List.of(new BenchRoutes(internals.pool(), internals.sessions(), internals.hasher()));
    };
  }

  @Override
  public void mount(Router router) {
    // order(-10): ahead of the access log, sessions, body and CSRF handlers the verticle adds first.
    router.get("/bench/stats").order(-10).handler(this::stats);
    router.post("/bench/floor").order(-10).handler(this::floor);
  }

  /**
   * The floor for the second sign-in step: the same single-row conditional UPDATE (the replay
   * guard) through the same pool, with nothing around it: {@code POST /bench/floor?user=UUID&step=N}
   * answers 204 when the step was taken, 409 when it was not later than the last one.
   */
  private void floor(RoutingContext ctx) {
    UUID user;
    long step;
    try {
      user = UUID.fromString(ctx.request().getParam("user"));
      step = Long.parseLong(ctx.request().getParam("step"));
    } catch (RuntimeException e) {
      ctx.response().setStatusCode(400).end();
      return;
    }
    pool.preparedQuery(TotpStore.USE_STEP).execute(Tuple.of(user, step))
        .onSuccess(rows -> ctx.response().setStatusCode(rows.size() == 1 ? 204 : 409).end())
        .onFailure(err -> ctx.response().setStatusCode(503).end());
  }

  private void stats(RoutingContext ctx) {
    sessions.size()
        .onSuccess(n -> ctx.json(new JsonObject().put("sessions", n).put("hashQueue", hasher.queued())))
        .onFailure(ctx::fail);
  }
}
