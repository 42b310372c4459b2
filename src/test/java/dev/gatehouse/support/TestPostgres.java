package dev.gatehouse.support;

import dev.gatehouse.db.EmbeddedDatabase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for the tests: the embedded one, started once per test JVM in a fresh
 * directory, one new database per server so tests never see each other's rows. Set
 * GATEHOUSE_TEST_DATABASE_URL (a superuser URL, e.g. to Debian's PostgreSQL) to use another server.
 */
public final class TestPostgres {

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static String adminUrl;
  private static EmbeddedDatabase embedded;

  private TestPostgres() {
  }

  /** A URL (postgresql://…) to a brand-new, empty database. */
  public static synchronized String newDatabase() {
    if (adminUrl == null) {
      String external = System.getenv("GATEHOUSE_TEST_DATABASE_URL");
      if (external != null && !external.isBlank()) {
        adminUrl = external;
      } else {
        embedded = EmbeddedDatabase.startScratch(tempDir("gatehouse-test-pg"), 0);
        adminUrl = embedded.url("postgres");
        Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
      }
    }
    String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    execute(adminUrl, "CREATE DATABASE " + name);
    return adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + name;
  }

  /** Runs one statement through JDBC (the driver comes with the embedded server's artifact). */
  public static void execute(String url, String sql) {
    try (Connection c = jdbc(url); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** A JDBC connection for reading tables in tests (e.g. to prove a secret is not stored in plain text). */
  public static Connection jdbc(String url) throws SQLException {
    java.net.URI uri = java.net.URI.create(url);
    String user = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo().split(":")[0];
    String password = uri.getUserInfo() != null && uri.getUserInfo().contains(":")
        ? uri.getUserInfo().split(":", 2)[1] : null;
    return DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath(),
        user, password);
  }

  public static Path tempDir(String prefix) {
    try {
      Path target = Path.of("target");
      Files.createDirectories(target);
      return Files.createTempDirectory(target.toAbsolutePath(), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
