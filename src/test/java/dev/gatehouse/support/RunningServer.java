package dev.gatehouse.support;

import dev.gatehouse.Gatehouse;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What a test calls on a running Gatehouse server, whether it started and stops the server itself
 * ({@link TestServer}) or a {@link ServerFixture} does that for its class: the helpers that act as a
 * person (signing up, enrolling a factor, setting up an organisation) take either.
 */
public interface RunningServer {

  int port();

  /** Where the public listener is, {@code http://127.0.0.1:port}. */
  String baseUrl();

  /** The management listener (metrics, health), loopback only. */
  String managementUrl();

  /** A new browser (its own cookies) at {@link #baseUrl()}. */
  Browser browser();

  Gatehouse app();

  /** The server's database URL, for reading tables directly in a test. */
  String databaseUrl();

  Connection jdbc() throws SQLException;

  /** The number a query such as {@code SELECT count(*) FROM …} answers, read from the server's database. */
  default long count(String sql) {
    try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
