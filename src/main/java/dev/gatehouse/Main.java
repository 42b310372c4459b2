package dev.gatehouse;

import dev.gatehouse.db.Database;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.concurrent.TimeUnit;

/** Starts Gatehouse; on SIGTERM shuts it down cleanly. A failed start is one clear log line and exit 1. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    Metrics metrics = new Metrics();
    Vertx vertx = metrics.vertx(new VertxOptions());
    Gatehouse app;
    try {
      app = Gatehouse.start(vertx, metrics, new JsonObject(), Clock.systemUTC()).await(5, TimeUnit.MINUTES);
    } catch (Throwable e) {
      LOG.error("Gatehouse did not start: {}", explain(e));
      vertx.close();
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutting down: finishing requests in flight");
      try {
        app.close().await(20, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("Shutdown was not clean: {}", e.toString());
      }
      LOG.info("Stopped");
    }, "gatehouse-shutdown"));
  }

  /** One sentence for the log, without a stack trace wall and without secrets. */
  static String explain(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root && !(root instanceof IllegalArgumentException)) {
      root = root.getCause();
    }
    if (root instanceof PgException pg && "28P01".equals(pg.getSqlState())) {
      return "PostgreSQL refused the credentials in GATEHOUSE_DATABASE_URL";
    }
    if (root instanceof PgException pg && "3D000".equals(pg.getSqlState())) {
      return "the database named in GATEHOUSE_DATABASE_URL does not exist";
    }
    if (Database.isUnavailable(e)) {
      return "cannot reach PostgreSQL (GATEHOUSE_DATABASE_URL): " + root.getMessage();
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message;
  }
}
