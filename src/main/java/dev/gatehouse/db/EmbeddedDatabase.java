package dev.gatehouse.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL server run from the Maven artifact, with its files under the data directory so
 * that data survives a restart. Starting and stopping block, so callers run them off the event loop.
 *
 * <p>Every connection needs a password (scram-sha-256, docs/security.md 38): it is generated at the
 * first start and kept owner-only beside the cluster ({@code <cluster>.password}), since without one
 * any local user could connect as the superuser and read the server key with {@code pg_read_file}.
 * A cluster made before this rule (trust for everyone) gets the password and the new rules at its
 * next start.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final String SUPERUSER = "postgres";
  /** A pg_hba.conf line that lets someone in without a password. */
  private static final Pattern TRUSTING = Pattern.compile("(?m)^\\s*(local|host\\w*)\\s.*\\btrust\\b");
  private static final String HBA = """
      # Written by Gatehouse: every connection needs the password kept in %s (scram-sha-256).
      local   all          all                 scram-sha-256
      host    all          all   127.0.0.1/32  scram-sha-256
      host    all          all   ::1/128       scram-sha-256
      local   replication  all                 scram-sha-256
      host    replication  all   127.0.0.1/32  scram-sha-256
      host    replication  all   ::1/128       scram-sha-256
      """;

  private final EmbeddedPostgres postgres;
  private final String password;

  private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
    this.postgres = postgres;
    this.password = password;
  }

  /**
   * Starts the server on {@code port} (0 = any free port) with its cluster in {@code directory},
   * durably: the artifact's launcher turns fsync and synchronous commit off, and a spent recovery
   * code or TOTP step must not come back after a crash.
   */
  public static EmbeddedDatabase start(Path directory, int port) {
    return start(directory, port, true);
  }

  /**
   * For throwaway data (tests, benchmarks' scratch clusters): fsync and synchronous commit off. It
   * gets a password all the same, so the tests run over the same authentication as production.
   */
  public static EmbeddedDatabase startScratch(Path directory, int port) {
    return start(directory, port, false);
  }

  /** Where the password of the cluster in {@code directory} is kept: beside it, owner-only. */
  public static Path passwordFile(Path directory) {
    Path absolute = directory.toAbsolutePath().normalize();
    return absolute.resolveSibling(absolute.getFileName() + ".password");
  }

  private static EmbeddedDatabase start(Path directory, int port, boolean durable) {
    try {
      Files.createDirectories(directory);
      Path hba = directory.resolve("pg_hba.conf");
      boolean fresh = !Files.exists(directory.resolve("postgresql.conf"));
      Path passwordFile = passwordFile(directory);
      if (!fresh && !Files.exists(passwordFile) && !trusting(hba)) {
        throw new IllegalStateException("the embedded PostgreSQL in " + directory + " needs a password, but "
            + passwordFile + " is missing: restore it from a backup");
      }
      String password = password(passwordFile);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(directory)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("max_connections", "200")
          .setServerConfig("password_encryption", "scram-sha-256")
          .setServerConfig("synchronous_commit", durable ? "on" : "off")
          // The launcher's own readiness check connects too.
          .setConnectConfig("password", password);
      if (fresh) {
        // Handed to initdb after the launcher's "-A trust", so these win: never open, not even once.
        builder.setLocaleConfig("auth-host", "scram-sha-256")
            .setLocaleConfig("auth-local", "scram-sha-256")
            .setLocaleConfig("pwfile", passwordFile.toString());
      }
      if (durable) {
        // Comes after the launcher's -F on the command line, so it wins.
        builder.setServerConfig("fsync", "on");
      }
      if (port > 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres postgres = builder.start();
      EmbeddedDatabase db = new EmbeddedDatabase(postgres, password);
      if (!fresh && trusting(hba)) {
        db.requirePassword(hba, passwordFile);
      }
      LOG.info("Embedded PostgreSQL listening on 127.0.0.1:{}, data in {}, password in {}", postgres.getPort(),
          directory, passwordFile);
      return db;
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start in " + directory + ": " + e.getMessage(), e);
    }
  }

  /**
   * A cluster from before the password rule: the superuser gets the password, pg_hba.conf asks for
   * it, and the server reloads its rules. Until the reload, this start is as open as every earlier
   * one was (on a port chosen just now); afterwards a connection without the password is refused.
   */
  private void requirePassword(Path hba, Path passwordFile) throws IOException {
    try (Connection c = connect(password); Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      // A generated password is base64url: nothing in it needs quoting.
      s.execute("ALTER ROLE " + SUPERUSER + " WITH PASSWORD '" + password + "'");
      Path written = Files.createTempFile(hba.getParent(), "pg_hba", ".tmp",
          PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.writeString(written, HBA.formatted(passwordFile), StandardCharsets.UTF_8);
      Files.move(written, hba, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      s.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new IOException("could not set the embedded PostgreSQL's password: " + e.getMessage(), e);
    }
    awaitPasswordRequired();
    LOG.warn("The embedded PostgreSQL trusted every local user; it now requires the password in {}", passwordFile);
  }

  /** The reload is asynchronous: wait until the server actually refuses a connection without the password. */
  private void awaitPasswordRequired() throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        connect(null).close();
        sleep();
      } catch (SQLException refused) {
        return;
      }
    }
    throw new IOException("the embedded PostgreSQL still lets connections in without a password");
  }

  private Connection connect(String withPassword) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/postgres", SUPERUSER, withPassword);
  }

  private static boolean trusting(Path hba) throws IOException {
    return Files.exists(hba) && TRUSTING.matcher(Files.readString(hba, StandardCharsets.UTF_8)).find();
  }

  /** The password from its file; made (owner-only from the first byte) when there is none yet. */
  private static String password(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
      FileAttribute<?>[] attributes = posix
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
      Files.createDirectories(file.getParent());
      try (FileChannel channel = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), attributes)) {
        channel.write(ByteBuffer.wrap((generated + "\n").getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
        return generated;
      } catch (FileAlreadyExistsException raced) {
        // Another process made it first: read theirs.
      }
    }
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(permissions)) {
        LOG.warn("{} was readable by others ({}); restricting it to the owner", file,
            PosixFilePermissions.toString(permissions));
        Files.setPosixFilePermissions(file, OWNER_ONLY);
      }
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      throw new IllegalStateException(file + " holds no password: restore it from a backup");
    }
    return lines.get(0).strip();
  }

  private static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /** The URL that {@link Database#connect} takes, as the superuser of the embedded cluster (password included). */
  public String url(String database) {
    return "postgresql://" + SUPERUSER + ":" + password + "@127.0.0.1:" + port() + "/" + database;
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "EmbeddedDatabase[127.0.0.1:" + port() + "]"; // never the password
  }
}
