package dev.gatehouse.support;

import dev.gatehouse.Gatehouse;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The one {@link TestServer} the tests of a class share, as a JUnit extension: started (on a Vert.x
 * of its own) before the class's first test and closed after its last.
 *
 * <pre>{@code
 * static final MutableClock CLOCK = MutableClock.startingNow();
 * @RegisterExtension
 * static final ServerFixture server = ServerFixture.start(overrides, CLOCK);
 * }</pre>
 *
 * The tests then call it as they would the server. The field is made when the class is loaded, the
 * server only when its tests run: settings that need something running first (a DNS server, a port)
 * are given as a {@link Supplier}. A class's own {@code @BeforeAll} methods run after the server has
 * started, its {@code @AfterAll} methods before it stops.
 */
public final class ServerFixture implements RunningServer, BeforeAllCallback, AfterAllCallback {

  private final Supplier<TestServer> starter;
  private final List<AutoCloseable> alongside = new ArrayList<>();
  private TestServer server;
  /** The class whose tests the server is for (a {@code @Nested} class shares its enclosing class's), while it runs. */
  private String startedFor;

  private ServerFixture(Supplier<TestServer> starter) {
    this.starter = starter;
  }

  /** A server with the production defaults and the real clock. */
  public static ServerFixture start() {
    return start(new JsonObject());
  }

  public static ServerFixture start(JsonObject overrides) {
    return start(overrides, Clock.systemUTC());
  }

  public static ServerFixture start(JsonObject overrides, Clock clock) {
    return start(() -> overrides, clock);
  }

  /** As {@link #start(JsonObject, Clock)}, the settings made when the server starts. */
  public static ServerFixture start(Supplier<JsonObject> overrides, Clock clock) {
    Objects.requireNonNull(clock, "the clock (declared above the fixture?)");
    return new ServerFixture(() -> TestServer.start(null, overrides.get(), clock));
  }

  /** As {@link TestServer#startMetered}: Vert.x's own meters reach the scrape too. */
  public static ServerFixture startMetered(JsonObject overrides, Clock clock) {
    Objects.requireNonNull(clock, "the clock (declared above the fixture?)");
    return new ServerFixture(() -> TestServer.startMetered(overrides, clock));
  }

  /**
   * Things that serve the server (a DNS server it asks, the tests' providers), closed in this order
   * when it is, after it.
   */
  public ServerFixture closing(AutoCloseable... others) {
    alongside.addAll(List.of(others));
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (startedFor == null) {
      startedFor = context.getUniqueId();
      server = starter.get();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (!context.getUniqueId().equals(startedFor)) {
      return;
    }
    startedFor = null;
    TestServer stopping = server;
    server = null;
    try {
      if (stopping != null) {
        stopping.close();
      }
    } finally {
      for (AutoCloseable other : alongside) {
        other.close();
      }
    }
  }

  private TestServer running() {
    if (server == null) {
      throw new IllegalStateException("the server runs only while its class's tests do: register the fixture "
          + "with @RegisterExtension on a static field");
    }
    return server;
  }

  @Override
  public int port() {
    return running().port();
  }

  @Override
  public String baseUrl() {
    return running().baseUrl();
  }

  @Override
  public String managementUrl() {
    return running().managementUrl();
  }

  @Override
  public Browser browser() {
    return running().browser();
  }

  @Override
  public Gatehouse app() {
    return running().app();
  }

  @Override
  public String databaseUrl() {
    return running().databaseUrl();
  }

  @Override
  public Connection jdbc() throws SQLException {
    return running().jdbc();
  }
}
