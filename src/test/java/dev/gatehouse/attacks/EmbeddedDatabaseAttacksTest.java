package dev.gatehouse.attacks;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Settings;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 5 (docs/security.md 38): another user on the same machine finds the embedded
 * PostgreSQL's port (here: from postmaster.pid; {@code ss -ltn} would do) and connects as
 * {@code postgres} without a password, as {@code psql postgresql://postgres@127.0.0.1:PORT/postgres}
 * does, to read the server key with {@code pg_read_file}.
 */
@ExtendWith(VertxExtension.class)
class EmbeddedDatabaseAttacksTest {

  @Test
  void a_local_user_without_the_password_cannot_connect_nor_read_the_server_key(Vertx vertx) throws Exception {
    Path data = TestPostgres.tempDir("gatehouse-embedded");
    JsonObject config = new JsonObject()
        .put(Settings.HTTP_PORT, 0)
        .put(Settings.HTTP_HOST, "127.0.0.1")
        .put(Settings.HTTP_INSTANCES, 1)
        .put(Settings.DATA_DIR, data.toString())
        .put(Settings.DATABASE_URL, "");
    Gatehouse app = Gatehouse.start(vertx, config, Clock.systemUTC()).await(90, TimeUnit.SECONDS);
    try {
      int port = postmasterPort(data.resolve("postgres"));
      String keyFile = data.resolve("secret.key").toString();

      SQLException refused = assertThrows(SQLException.class,
          () -> readWithoutPassword(port, "SELECT pg_read_file('" + keyFile + "')"),
          "a connection without the password reads the server key");
      assertTrue(refused.getMessage().contains("password"), refused.getMessage());
      assertThrows(SQLException.class, () -> read(port, "a-guess", "SELECT 1"), "a wrong password");

      Path passwordFile = data.resolve("postgres.password");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
      // Gatehouse itself connects with it: an account can be made and signed in to.
      Browser browser = new Browser("http://127.0.0.1:" + app.port());
      String email = Emails.unique("owner");
      assertEquals(201, browser.signUp(email, "correct horse battery staple").status());
      assertEquals(200, browser.signIn(email, "correct horse battery staple").status());
    } finally {
      app.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_data_directory_from_before_keeps_its_data_and_stops_trusting_every_local_user() throws Exception {
    Path cluster = TestPostgres.tempDir("gatehouse-upgrade").resolve("postgres");
    // The cluster as earlier versions made it: the launcher's initdb with trust for everyone.
    try (EmbeddedPostgres before = EmbeddedPostgres.builder().setDataDirectory(cluster).setCleanDataDirectory(false)
        .setRegisterShutdownHook(false).setPGStartupWait(Duration.ofSeconds(30))
        .setServerConfig("listen_addresses", "127.0.0.1").start()) {
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + before.getPort() + "/postgres",
          "postgres", null); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE kept (what text)");
        s.execute("INSERT INTO kept VALUES ('from before the upgrade')");
      }
    }

    EmbeddedDatabase upgraded = EmbeddedDatabase.start(cluster, 0);
    try {
      assertThrows(SQLException.class, () -> readWithoutPassword(upgraded.port(), "SELECT 1"),
          "after the upgrade a connection without the password is refused");
      try (Connection c = TestPostgres.jdbc(upgraded.url("postgres")); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT what FROM kept")) {
        assertTrue(rs.next());
        assertEquals("from before the upgrade", rs.getString(1));
      }
    } finally {
      upgraded.close();
    }
    // And again after a restart: the password and the rules were kept.
    EmbeddedDatabase restarted = EmbeddedDatabase.start(cluster, 0);
    try {
      assertThrows(SQLException.class, () -> readWithoutPassword(restarted.port(), "SELECT 1"));
      try (Connection c = TestPostgres.jdbc(restarted.url("postgres")); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT count(*) FROM kept")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getInt(1));
      }
    } finally {
      restarted.close();
    }
  }

  /** The fourth line of postmaster.pid is the port the server listens on. */
  private static int postmasterPort(Path cluster) throws Exception {
    List<String> lines = Files.readAllLines(cluster.resolve("postmaster.pid"));
    return Integer.parseInt(lines.get(3).trim());
  }

  private static String readWithoutPassword(int port, String sql) throws SQLException {
    return read(port, null, sql);
  }

  private static String read(int port, String password, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres",
        password); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
