package dev.gatehouse.load;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Settings;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.db.Database;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.db.Migrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Creates users for a load test, fast: one Argon2id hash (at the server's configured parameters,
 * so sign-in costs exactly what a real user's costs and nothing is re-hashed) shared by every seeded
 * user, rows inserted a thousand at a time with {@code unnest}. Seeded users live under
 * {@code @load.gatehouse.test} (a reserved TLD); seeding refuses a database that holds any other user
 * unless {@code --force}. Running it again updates the same users (same password, TOTP re-keyed).
 *
 * <pre>
 * bench/seed-users.sh --users 5000 --totp --out target/load/users.csv
 * </pre>
 *
 * It reads the server's configuration: GATEHOUSE_DATABASE_URL when set, otherwise the embedded
 * PostgreSQL in GATEHOUSE_DATA_DIR (seed before starting the server: the running server holds the
 * embedded cluster's lock; to seed a running one, point GATEHOUSE_DATABASE_URL at the port it logged,
 * with the password from {@code data/postgres.password}: {@code postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres}).
 */
public final class SeedUsers {

  public static final String DOMAIN = "load.gatehouse.test";
  public static final String DEFAULT_PASSWORD = "load-test-password-7f3a";
  private static final int BATCH = 1000;

  private static final String REAL_USERS = "SELECT count(*) FROM users WHERE email NOT LIKE '%@" + DOMAIN + "'";
  private static final String UPSERT = """
      INSERT INTO users (email, name, password_hash)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
      ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()
      RETURNING id, email""";

  /** One seeded user, as the CSV for the load tools has it. */
  public record SeededUser(String email, String password, String totpSecret, UUID id) {
  }

  /** What to seed. */
  public record Options(int users, String prefix, String password, boolean totp, boolean force, Path out) {
  }

  private SeedUsers() {
  }

  public static void main(String[] args) {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("seed-users: " + e.getMessage());
      System.err.println("usage: seed-users --users N [--totp] [--prefix user] [--password P] [--out users.csv] [--force]");
      System.exit(2);
      return;
    }
    Vertx vertx = Vertx.vertx();
    EmbeddedDatabase embedded = null;
    Pool pool = null;
    int status = 0;
    try {
      Settings settings = Gatehouse.loadSettings(vertx, new JsonObject()).await(30, TimeUnit.SECONDS);
      String url = settings.databaseUrl();
      if (url == null) {
        System.out.println("seed-users: starting the embedded PostgreSQL in " + settings.dataDir()
            + " (a server running on this data directory must be stopped first)");
        embedded = EmbeddedDatabase.start(settings.dataDir().resolve("postgres"), 0);
        url = embedded.url("postgres");
      }
      pool = Database.connect(vertx, url, 4);
      Migrations.run(pool).await(60, TimeUnit.SECONDS);
      long started = System.nanoTime();
      List<SeededUser> users = seed(vertx, pool, settings, options).await(10, TimeUnit.MINUTES);
      writeCsv(options.out(), users);
      System.out.printf("seed-users: %d users (%s) in %d ms, password \"%s\", CSV %s%n", users.size(),
          options.totp() ? "TOTP on" : "password only", (System.nanoTime() - started) / 1_000_000,
          options.password(), options.out().toAbsolutePath());
    } catch (Exception e) {
      System.err.println("seed-users: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      status = 1;
    } finally {
      if (pool != null) {
        pool.close();
      }
      if (embedded != null) {
        embedded.close();
      }
      vertx.close();
    }
    System.exit(status);
  }

  static Options parse(String[] args) {
    int users = -1;
    String prefix = "user";
    String password = DEFAULT_PASSWORD;
    boolean totp = false;
    boolean force = false;
    Path out = Path.of("target/load/users.csv");
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--users" -> users = Integer.parseInt(value(args, ++i, arg));
        case "--prefix" -> prefix = value(args, ++i, arg);
        case "--password" -> password = value(args, ++i, arg);
        case "--out" -> out = Path.of(value(args, ++i, arg));
        case "--totp" -> totp = true;
        case "--force" -> force = true;
        default -> throw new IllegalArgumentException("unknown argument " + arg);
      }
    }
    if (users < 1 || users > 10_000_000) {
      throw new IllegalArgumentException("--users must be between 1 and 10000000");
    }
    if (password.contains(",") || password.contains("\n")) {
      throw new IllegalArgumentException("--password must not contain a comma or a newline (it goes into a CSV)");
    }
    if (!prefix.matches("[a-z0-9-]{1,20}")) {
      throw new IllegalArgumentException("--prefix must be 1-20 of a-z, 0-9, -");
    }
    return new Options(users, prefix, password, totp, force, out);
  }

  private static String value(String[] args, int i, String name) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    return args[i];
  }

  /** Seeds with the hash parameters of {@code settings}; the pool must point at a migrated database. */
  public static Future<List<SeededUser>> seed(Vertx vertx, Pool pool, Settings settings, Options options) {
    return pool.query(REAL_USERS).execute().compose(rows -> {
      long real = rows.iterator().next().getLong(0);
      if (real > 0 && !options.force()) {
        return Future.failedFuture(new IllegalStateException("the database holds " + real
            + " user(s) that were not seeded; refusing to add load-test users to it (use --force to do it anyway)"));
      }
      // The server's own hasher and parameters: verifying costs what it costs for a real user.
      // (Built off the event loop: the constructor computes a hash.)
      return vertx.executeBlocking(() -> new PasswordHasher(vertx, settings.argon2MemoryKib(),
              settings.argon2Iterations(), settings.argon2Parallelism(), 1, 1, new Metrics()), false)
          .compose(hasher -> hasher.hash(options.password()).eventually(() -> {
            hasher.close();
            return Future.succeededFuture();
          }));
    }).compose(hash -> insert(pool, hash, options)).compose(users -> {
      if (!options.totp()) {
        return Future.succeededFuture(users);
      }
      return TotpSeeding.enable(vertx, pool, settings, users);
    });
  }

  private static Future<List<SeededUser>> insert(Pool pool, String hash, Options options) {
    List<SeededUser> all = new ArrayList<>(options.users());
    Future<Void> chain = Future.succeededFuture();
    int width = Math.max(5, Integer.toString(options.users()).length());
    for (int from = 0; from < options.users(); from += BATCH) {
      int start = from;
      int end = Math.min(options.users(), from + BATCH);
      chain = chain.compose(v -> {
        String[] emails = new String[end - start];
        String[] names = new String[end - start];
        String[] hashes = new String[end - start];
        for (int i = start; i < end; i++) {
          emails[i - start] = String.format("%s%0" + width + "d@%s", options.prefix(), i, DOMAIN);
          names[i - start] = "Load " + options.prefix() + " " + i;
          hashes[i - start] = hash;
        }
        return pool.preparedQuery(UPSERT).execute(Tuple.of(emails, names, hashes)).map(rows -> {
          Map<String, UUID> ids = new HashMap<>();
          for (Row row : rows) {
            ids.put(row.getString("email"), row.getUUID("id"));
          }
          for (String email : emails) {
            all.add(new SeededUser(email, options.password(), null, ids.get(email)));
          }
          return null;
        });
      });
    }
    return chain.map(all);
  }

  /** email,password,totpSecret,id — the feeder's columns (totpSecret empty without TOTP). */
  public static void writeCsv(Path out, List<SeededUser> users) {
    try {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
        w.write("email,password,totpSecret,id\n");
        for (SeededUser u : users) {
          w.write(u.email() + "," + u.password() + "," + (u.totpSecret() == null ? "" : u.totpSecret()) + "," + u.id() + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the CSV back (for the load generator). */
  public static List<SeededUser> readCsv(Path in) {
    try {
      List<SeededUser> users = new ArrayList<>();
      List<String> lines = Files.readAllLines(in, StandardCharsets.UTF_8);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",", -1);
        users.add(new SeededUser(f[0], f[1], f[2].isEmpty() ? null : f[2], UUID.fromString(f[3])));
      }
      return users;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
