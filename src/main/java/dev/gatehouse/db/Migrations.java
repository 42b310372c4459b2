package dev.gatehouse.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Versioned schema migrations: {@code db/migration/V<n>__<what>.sql} on the classpath, each applied
 * once, in version order, in its own transaction, under an advisory lock so that several nodes
 * starting together do not race. Applied versions are recorded in {@code schema_migrations}.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  private static final Pattern NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  private static final long LOCK_KEY = 0x6761746568L; // "gateh"

  /** One migration script. */
  public record Script(int version, String description, String sql) {
  }

  private Migrations() {
  }

  public static Future<Integer> run(Pool pool) {
    List<Script> scripts = load();
    return pool.getConnection().compose(conn -> migrate(conn, scripts).eventually(conn::close));
  }

  private static Future<Integer> migrate(SqlConnection conn, List<Script> scripts) {
    // CREATE TABLE IF NOT EXISTS raises a NOTICE on every start, which the client logs as a warning.
    return conn.query("SET client_min_messages TO warning").execute()
        .compose(v -> conn.query("SELECT pg_advisory_lock(" + LOCK_KEY + ")").execute())
        .compose(v -> conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version     integer PRIMARY KEY,
              description text NOT NULL,
              applied_at  timestamptz NOT NULL DEFAULT now())""").execute())
        .compose(v -> conn.query("SELECT version FROM schema_migrations").execute())
        .compose(rows -> {
          Set<Integer> applied = new HashSet<>();
          for (Row row : rows) {
            applied.add(row.getInteger(0));
          }
          Future<Integer> chain = Future.succeededFuture(0);
          for (Script script : scripts) {
            if (applied.contains(script.version())) {
              continue;
            }
            chain = chain.compose(count -> apply(conn, script).map(count + 1));
          }
          return chain;
        })
        .eventually(() -> conn.query("SELECT pg_advisory_unlock(" + LOCK_KEY + ")").execute())
        .onSuccess(count -> {
          if (count > 0) {
            LOG.info("Applied {} schema migration(s)", count);
          }
        });
  }

  private static Future<Void> apply(SqlConnection conn, Script script) {
    return conn.begin().compose(tx -> conn.query(script.sql()).execute()
        .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)")
            .execute(Tuple.of(script.version(), script.description())))
        .compose(v -> tx.commit())
        .recover(err -> tx.rollback().transform(ignored -> Future.<Void>failedFuture(
            new IllegalStateException("migration V" + script.version() + " failed: " + err.getMessage(), err)))))
        .onSuccess(v -> LOG.info("Schema migration V{} {} applied", script.version(), script.description()));
  }

  /** Reads every script from the classpath, sorted by version; duplicate versions are an error. */
  static List<Script> load() {
    URL url = Migrations.class.getClassLoader().getResource("db/migration");
    if (url == null) {
      return List.of();
    }
    TreeMap<Integer, Script> byVersion = new TreeMap<>();
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        FileSystem fs;
        try {
          fs = FileSystems.getFileSystem(uri);
        } catch (FileSystemNotFoundException e) {
          fs = FileSystems.newFileSystem(uri, Collections.emptyMap());
        }
        collect(fs.getPath("/db/migration"), byVersion);
      } else {
        collect(Path.of(uri), byVersion);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return new ArrayList<>(byVersion.values());
  }

  private static void collect(Path dir, TreeMap<Integer, Script> byVersion) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        int version = Integer.parseInt(m.group(1));
        String sql;
        try (InputStream in = Files.newInputStream(file)) {
          sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Script previous = byVersion.put(version, new Script(version, m.group(2).replace('_', ' '), sql));
        if (previous != null) {
          throw new IllegalStateException("two migrations share version V" + version);
        }
      }
    }
  }
}
