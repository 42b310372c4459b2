package dev.gatehouse.load;

import dev.gatehouse.config.Settings;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.factor.totp.TotpCredentials;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.sstore.SessionStore;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Measurement-only routes for bench/login-bench.sh, mounted only when GATEHOUSE_BENCH_ROUTES=true
 * (never by default): how many sessions the store holds, and the floor for the second sign-in step.
 * They sit before every other handler (no access log, session, body or CSRF handling), so they
 * cost only what Vert.x itself costs.
 */
public final class BenchRoutes implements RouteModule {

  private static final Logger LOG = LoggerFactory.getLogger(BenchRoutes.class);
  public static final String ENABLED = "GATEHOUSE_BENCH_ROUTES";

  private final Pool pool;
  private final SessionStore sessions;
  private final PasswordHasher hasher;

  private BenchRoutes(Pool pool, SessionStore sessions, PasswordHasher hasher) {
    this.pool = pool;
    this.sessions = sessions;
    this.hasher = hasher;
  }

  public static boolean enabled(Settings settings) {
    return Boolean.parseBoolean(settings.text(ENABLED, "false").trim());
  }

  /** The server's routes plus these, first in line. */
  public static List<RouteModule> with(List<RouteModule> modules, Pool pool, SessionStore sessions, PasswordHasher hasher) {
    LOG.warn("{}=true: unauthenticated measurement routes under /bench/ are on; never in production", ENABLED);
    List<RouteModule> all = new ArrayList<>(modules);
    all.add(0, new BenchRoutes(pool, sessions, hasher));
    return List.copyOf(all);
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
    pool.preparedQuery(TotpCredentials.USE_STEP).execute(Tuple.of(user, step))
        .onSuccess(rows -> ctx.response().setStatusCode(rows.size() == 1 ? 204 : 409).end())
        .onFailure(err -> ctx.response().setStatusCode(503).end());
  }

  private void stats(RoutingContext ctx) {
    sessions.size()
        .onSuccess(n -> ctx.json(new JsonObject().put("sessions", n).put("hashQueue", hasher.queued())))
        .onFailure(ctx::fail);
  }
}
