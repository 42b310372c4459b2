package dev.gatehouse.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.util.concurrent.TimeUnit;

/**
 * Liveness (the process answers) and readiness (and its database answers too, and it is not
 * draining). One instance serves the public and the management listener, so that {@link #drain}
 * turns both readiness answers to 503 at once.
 */
public final class Health implements RouteModule {

  private final Pool pool;
  private volatile boolean draining;

  public Health(Pool pool) {
    this.pool = pool;
  }

  /** From now on /health/ready answers 503: the load balancer should stop sending new work here. */
  public void drain() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  @Override
  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    if (draining) {
      down(ctx, new JsonObject().put("status", "DOWN").put("draining", true));
      return;
    }
    pool.query("SELECT 1").execute()
        .timeout(1, TimeUnit.SECONDS)
        .onSuccess(rows -> ctx.json(new JsonObject().put("status", "UP").put("database", "UP")))
        .onFailure(err -> down(ctx, new JsonObject().put("status", "DOWN").put("database", "DOWN")));
  }

  private static void down(RoutingContext ctx, JsonObject body) {
    ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "5")
        .end(body.encode());
  }
}
