package dev.gatehouse;

import dev.gatehouse.db.Database;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts Gatehouse. SIGTERM drains it: /health/ready answers 503 at once, requests are served for
 * GATEHOUSE_SHUTDOWN_GRACE_SECONDS so that load balancers take the node out, then it stops accepting,
 * finishes what is in flight and exits 0. Ctrl-C (SIGINT) stops without the grace period; a second
 * signal cuts a grace period short. A failed start is one clear log line and exit 1.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private final Gatehouse app;
  private final Vertx vertx;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch hurry = new CountDownLatch(1);

  private Main(Gatehouse app, Vertx vertx) {
    this.app = app;
    this.vertx = vertx;
  }

  public static void main(String[] args) {
    run(internals -> java.util.List.of());
  }

  /** Starts with the caller's extra route modules (the benchmark's, from the test class path). */
  public static void run(Gatehouse.Extras extras) {
    Metrics metrics = new Metrics();
    Vertx vertx = metrics.vertx(new VertxOptions());
    Gatehouse app;
    try {
      app = Gatehouse.start(vertx, metrics, new JsonObject(), Clock.systemUTC(), extras).await(5, TimeUnit.MINUTES);
    } catch (Throwable e) {
      LOG.error("Gatehouse did not start: {}", explain(e));
      vertx.close();
      System.exit(1);
      return;
    }
    new Main(app, vertx).handleSignals();
  }

  private void handleSignals() {
    try {
      // sun.misc.Signal: the JDK's only way to answer SIGTERM with a drain and exit 0 instead of 143.
      Signal.handle(new Signal("TERM"), signal -> stop("SIGTERM", app.shutdownGrace()));
      Signal.handle(new Signal("INT"), signal -> stop("SIGINT", Duration.ZERO));
    } catch (IllegalArgumentException e) {
      LOG.warn("Cannot handle signals here ({}); stopping on exit without a grace period", e.getMessage());
    }
    // Any other way out (System.exit, SIGHUP): close without a grace period.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (stopping.compareAndSet(false, true)) {
        close();
      }
    }, "gatehouse-exit"));
  }

  private void stop(String signal, Duration grace) {
    if (!stopping.compareAndSet(false, true)) {
      LOG.info("{} again: ending the grace period now", signal);
      hurry.countDown();
      return;
    }
    Thread stopper = new Thread(() -> {
      app.drain();
      LOG.info("{}: draining; /health/ready answers 503, requests are served for {} s more", signal,
          grace.toSeconds());
      try {
        hurry.await(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      System.exit(close() ? 0 : 1);
    }, "gatehouse-shutdown");
    stopper.setDaemon(false);
    stopper.start();
  }

  /** Stops accepting, finishes requests in flight, closes everything; true when that went cleanly. */
  private boolean close() {
    LOG.info("Shutting down: no new connections, finishing requests in flight");
    try {
      app.close().await(30, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
      LOG.info("Stopped");
      return true;
    } catch (Exception e) {
      LOG.warn("Shutdown was not clean: {}", e.toString());
      return false;
    }
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
