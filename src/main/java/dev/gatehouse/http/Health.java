package dev.gatehouse.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.util.concurrent.TimeUnit;

/** Liveness (the process answers) and readiness (and its database answers too). */
final class Health implements RouteModule {

  private final Pool pool;

  Health(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    pool.query("SELECT 1").execute()
        .timeout(1, TimeUnit.SECONDS)
        .onSuccess(rows -> ctx.json(new JsonObject().put("status", "UP").put("database", "UP")))
        .onFailure(err -> ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json")
            .putHeader("Retry-After", "5")
            .end(new JsonObject().put("status", "DOWN").put("database", "DOWN").encode()));
  }
}
