package dev.gatehouse.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real PostgreSQL server run from the Maven artifact, with its files under the data directory so
 * that data survives a restart. Starting and stopping block, so callers run them off the event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts the server on {@code port} (0 = any free port) with its cluster in {@code directory},
   * durably: the artifact's launcher turns fsync and synchronous commit off, and a spent recovery
   * code or TOTP step must not come back after a crash.
   */
  public static EmbeddedDatabase start(Path directory, int port) {
    return start(directory, port, true);
  }

  /** For throwaway data (tests, benchmarks' scratch clusters): fsync and synchronous commit off. */
  public static EmbeddedDatabase startScratch(Path directory, int port) {
    return start(directory, port, false);
  }

  private static EmbeddedDatabase start(Path directory, int port, boolean durable) {
    try {
      Files.createDirectories(directory);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(directory)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("max_connections", "200")
          .setServerConfig("synchronous_commit", durable ? "on" : "off");
      if (durable) {
        // Comes after the launcher's -F on the command line, so it wins.
        builder.setServerConfig("fsync", "on");
      }
      if (port > 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres postgres = builder.start();
      LOG.info("Embedded PostgreSQL listening on 127.0.0.1:{}, data in {}", postgres.getPort(), directory);
      return new EmbeddedDatabase(postgres);
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start in " + directory + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /** The URL that {@link Database#connect} takes, as the superuser of the embedded cluster. */
  public String url(String database) {
    return "postgresql://postgres@127.0.0.1:" + port() + "/" + database;
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }
}
