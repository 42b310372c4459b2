package dev.gatehouse.support;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Settings;
import dev.gatehouse.http.ManagementVerticle;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The real Gatehouse server: started on a free port against its own new database in the test
 * PostgreSQL, with the production defaults unless a test overrides a setting. A test class that
 * shares one server among its tests registers a {@link ServerFixture}; this is for tests that start
 * and stop servers themselves (several nodes on one database, restarts, a setting of their own).
 */
public final class TestServer implements RunningServer, AutoCloseable {

  private final Gatehouse app;
  private final String databaseUrl;
  private final Vertx vertx;
  private final boolean ownsVertx;

  private TestServer(Gatehouse app, String databaseUrl, Vertx vertx, boolean ownsVertx) {
    this.app = app;
    this.databaseUrl = databaseUrl;
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
  }

  /**
   * Settings for tests that fire many parallel codes at one account to prove a single-use guard:
   * the code budgets (proven in throttle/) are raised out of the way.
   */
  public static JsonObject roomForRaces() {
    return new JsonObject().put("GATEHOUSE_SECOND_STEP_LIMIT", 1000).put("GATEHOUSE_RECOVERY_CODE_LIMIT", 1000);
  }

  public static TestServer start(Vertx vertx) {
    return start(vertx, new JsonObject(), Clock.systemUTC());
  }

  public static TestServer start(Vertx vertx, JsonObject overrides) {
    return start(vertx, overrides, Clock.systemUTC());
  }

  /** Starts a server; {@code vertx} may be null, then the server has a Vert.x of its own. */
  public static TestServer start(Vertx vertx, JsonObject overrides, Clock clock) {
    return start(vertx, overrides, clock, NO_EXTRAS);
  }

  /** Starts a server with extra route modules ahead of its own (the benchmark's measurement routes). */
  public static TestServer start(Vertx vertx, JsonObject overrides, Clock clock, Gatehouse.Extras extras) {
    boolean own = vertx == null;
    return start(own ? Vertx.vertx() : vertx, own, new Metrics(), overrides, clock, extras);
  }

  /**
   * A port free on the loopback now, for a server that must know its address before it starts (its
   * public URL, where a provider or a passkey's origin sends the browser).
   */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final Gatehouse.Extras NO_EXTRAS = internals -> java.util.List.of();

  /**
   * A server on a Vert.x of its own built as production builds it ({@code Main}), so that Vert.x's
   * HTTP and pool meters reach the scrape too.
   */
  public static TestServer startMetered(JsonObject overrides, Clock clock) {
    Metrics metrics = new Metrics();
    Vertx vertx = metrics.vertx(new VertxOptions());
    try {
      return start(vertx, true, metrics, overrides, clock, NO_EXTRAS);
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
  }
  private static TestServer start(Vertx v, boolean own, Metrics metrics, JsonObject overrides, Clock clock,
                                  Gatehouse.Extras extras) {
    String url = overrides.containsKey(Settings.DATABASE_URL) ? overrides.getString(Settings.DATABASE_URL)
        : TestPostgres.newDatabase();
    JsonObject config = new JsonObject()
        .put(Settings.HTTP_PORT, 0)
        .put(Settings.HTTP_HOST, "127.0.0.1")
        .put(Settings.HTTP_INSTANCES, 2)
        .put(ManagementVerticle.PORT, 0)
        .put(Settings.DATABASE_URL, url)
        .put(Settings.DATA_DIR, TestPostgres.tempDir("gatehouse-data").toString())
        .put(Settings.PUBLIC_URL, "http://localhost:8080")
        .mergeIn(overrides);
    try {
      Gatehouse app = Gatehouse.start(v, metrics, config, clock, extras).await(60, TimeUnit.SECONDS);
      return new TestServer(app, url, v, own);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public int port() {
    return app.port();
  }

  @Override
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public String managementUrl() {
    return "http://127.0.0.1:" + app.managementPort();
  }

  @Override
  public Browser browser() {
    return new Browser(baseUrl());
  }

  @Override
  public Gatehouse app() {
    return app;
  }

  @Override
  public String databaseUrl() {
    return databaseUrl;
  }

  @Override
  public Connection jdbc() throws SQLException {
    return TestPostgres.jdbc(databaseUrl);
  }

  @Override
  public void close() {
    try {
      app.close().await(20, TimeUnit.SECONDS);
      if (ownsVertx) {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
