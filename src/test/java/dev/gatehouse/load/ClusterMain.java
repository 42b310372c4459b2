package dev.gatehouse.load;

import dev.gatehouse.config.Settings;
import dev.gatehouse.db.Database;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.load.LoadClient.Browser;
import dev.gatehouse.load.LoadClient.Run;
import dev.gatehouse.load.SeedUsers.SeededUser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * bench/cluster.sh: three Gatehouse nodes from the packaged jar on one embedded PostgreSQL (a
 * scratch cluster under target/cluster/pg, with pg_stat_statements loaded), behind a private
 * nginx with the readiness follower ({@link Cluster}).
 *
 * <ul>
 *   <li>without arguments it seeds TOTP users for the Gatling simulation, prints the addresses and
 *   waits for commands on standard input ({@code kill N}, {@code term N}, {@code start N},
 *   {@code status}, {@code quit}); Ctrl-C stops everything;</li>
 *   <li>{@code --measure} measures what docs/scaling.md builds on: sign-ins per server CPU-second
 *   of one node and of three nodes behind nginx, taken turn about in one run, and PostgreSQL
 *   statements and CPU (and the node's CPU) per password step, per second step and per
 *   authenticated request.</li>
 * </ul>
 */
public final class ClusterMain {

  static final Path WORK = Path.of("target/cluster");
  static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
      "-XX:SharedArchiveFile=gatehouse.jsa");
  static final double RATE = dbl("cluster.rate", 4);
  static final double WINDOW = dbl("cluster.window", 30);
  static final double WARMUP = dbl("cluster.warmup", 45);
  static final int ROUNDS = Integer.getInteger("cluster.rounds", 2);
  static final int NODES = Integer.getInteger("cluster.nodes", 3);

  private final Vertx vertx = Vertx.vertx();
  private EmbeddedDatabase pg;
  private long postmaster;
  private Cluster cluster;
  private Settings settings;
  private final List<String> results = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    boolean measure = List.of(args).contains("--measure");
    ClusterMain main = new ClusterMain();
    Thread closer = new Thread(main::close, "cluster-stop");
    Runtime.getRuntime().addShutdownHook(closer);
    int status = 0;
    try {
      main.start();
      if (measure) {
        main.measure();
      } else {
        main.serve();
      }
    } catch (Exception | AssertionError e) {
      System.err.println("cluster: " + e);
      e.printStackTrace();
      status = 1;
    }
    main.close();
    Runtime.getRuntime().removeShutdownHook(closer);
    System.exit(status);
  }

  // ------------------------------------------------------------------ start

  private void start() throws Exception {
    say("== %s; %d CPUs (%s); load average %s", java.time.Instant.now(), Runtime.getRuntime().availableProcessors(),
        Proc.cpuModel(), Proc.loadAverage());
    Proc.deleteRecursively(WORK);
    Files.createDirectories(WORK);
    Path data = WORK.resolve("pg");
    // pg_stat_statements must be preloaded: set it, then start the scratch cluster again.
    pg = EmbeddedDatabase.startScratch(data, 0);
    Pool admin = Database.connect(vertx, pg.url("postgres"), 1);
    admin.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'").execute().await(30, TimeUnit.SECONDS);
    admin.close().await(10, TimeUnit.SECONDS);
    pg.close();
    pg = EmbeddedDatabase.startScratch(data, 0);
    postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    admin = Database.connect(vertx, pg.url("postgres"), 1);
    admin.query("CREATE DATABASE gatehouse").execute().await(60, TimeUnit.SECONDS);
    admin.close().await(10, TimeUnit.SECONDS);
    Pool db = Database.connect(vertx, pg.url("gatehouse"), 1);
    db.query("CREATE EXTENSION pg_stat_statements").execute().await(30, TimeUnit.SECONDS);
    db.close().await(10, TimeUnit.SECONDS);
    say("PostgreSQL (embedded, scratch, pg_stat_statements loaded): 127.0.0.1:%d, postmaster pid %d", pg.port(),
        postmaster);

    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Map<String, String> env = new LinkedHashMap<>();
    // The caller's own GATEHOUSE_* settings (hash threads, Argon2 parameters, …) reach every node.
    System.getenv().forEach((k, v) -> {
      if (k.startsWith("GATEHOUSE_")) {
        env.put(k, v);
      }
    });
    env.put(Settings.DATABASE_URL, pg.url("gatehouse"));
    env.put(Settings.SECRET_KEY, Base64.getEncoder().encodeToString(key));
    env.put(Settings.DATA_DIR, WORK.resolve("data").toAbsolutePath().toString());
    env.putIfAbsent("GATEHOUSE_SHUTDOWN_GRACE_SECONDS", "5");
    JsonObject config = Settings.defaults();
    env.forEach((k, v) -> config.put(k, v.matches("\\d+") ? (Object) Integer.parseInt(v) : v));
    settings = Settings.from(config);

    cluster = Cluster.start(NODES, Path.of("target"), WORK, JVM, env);
    say("nginx: %s (pid %d, config %s)", cluster.baseUrl(), cluster.nginx().pid(), cluster.nginx().dir.resolve("nginx.conf"));
    for (Cluster.Node n : cluster.nodes()) {
      say("  %s: %s, management http://127.0.0.1:%d, pid %d, log %s", n.name(), n.baseUrl(), n.managementPort,
          n.server().pid(), n.server().log);
    }
  }

  private List<SeededUser> seed(String prefix, int count) throws Exception {
    Pool pool = Database.connect(vertx, pg.url("gatehouse"), 2);
    try {
      long t0 = System.nanoTime();
      Path csv = WORK.resolve(prefix + ".csv");
      List<SeededUser> users = SeedUsers.seed(vertx, pool, settings,
          new SeedUsers.Options(count, prefix, SeedUsers.DEFAULT_PASSWORD, true, true, csv)).await(10, TimeUnit.MINUTES);
      SeedUsers.writeCsv(csv, users);
      say("seeded %d TOTP users (Argon2id m=%d KiB t=%d p=%d) in %d ms: %s", count, settings.argon2MemoryKib(),
          settings.argon2Iterations(), settings.argon2Parallelism(), (System.nanoTime() - t0) / 1_000_000, csv);
      return users;
    } finally {
      pool.close();
    }
  }

  // ------------------------------------------------------------------ serve

  private void serve() throws Exception {
    seed("user", 2000);
    say("""

        Ready. Sign in at %1$s, or run the Gatling simulation against nginx:
          ./mvnw -P load test-compile gatling:test -Dbase=%1$s -Dusers=%2$s -Drate=10 -Dramp=5 -Dduration=60
        Commands: kill N (SIGKILL node N), term N (SIGTERM: drain), start N (start it again), status, quit.
        The readiness follower takes a node out of nginx when its /health/ready is not 200 and puts it back
        when it is; nginx's access log (%3$s) names the node behind every request.""",
        cluster.baseUrl(), WORK.resolve("user.csv").toAbsolutePath(), cluster.nginx().accessLog);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.trim().split("\\s+");
      try {
        switch (words[0]) {
          case "kill" -> cluster.node(Integer.parseInt(words[1])).process().destroyForcibly();
          case "term" -> cluster.node(Integer.parseInt(words[1])).process().destroy();
          case "start" -> cluster.restart(cluster.node(Integer.parseInt(words[1])));
          case "quit", "exit" -> {
            return;
          }
          case "", "status" -> { }
          default -> say("commands: kill N, term N, start N, status, quit");
        }
      } catch (RuntimeException e) {
        say("%s", e.getMessage());
      }
      Thread.sleep(500);
      for (Cluster.Node n : cluster.nodes()) {
        boolean alive = n.server() != null && n.server().process.isAlive();
        say("  %s: %s, %s nginx", n.name(), alive ? "running (pid " + n.server().pid() + ")" : "stopped",
            cluster.inNginx(n) ? "in" : "out of");
      }
    }
    // No terminal (started in the background): run until stopped.
    Thread.sleep(Long.MAX_VALUE);
  }

  // ------------------------------------------------------------------ measure

  private void measure() throws Exception {
    List<SeededUser> journeyUsers = seed("tfa", (int) Math.max(1000, RATE * 80));
    List<SeededUser> stepUsers = seed("step", 600);
    UserCycle cycle = new UserCycle(journeyUsers);
    Cluster.Node one = cluster.node(1);
    List<Cluster.Node> all = cluster.nodes();

    try (LoadClient viaNginx = new LoadClient(vertx, "127.0.0.1", cluster.nginx().port, 256, false, null);
         LoadClient direct = new LoadClient(vertx, "127.0.0.1", one.port, 256, false, null)) {
      say("\n== warm-up: %.0f s of 2FA sign-ins at %.0f/s through nginx (every node), then %.0f s on node1 alone", WARMUP,
          RATE, WARMUP / 3);
      window("warm-up", viaNginx, cycle, all, false);
      window("warm-up", direct, cycle, List.of(one), false);

      say("\n== sign-ins per server CPU-second: one node (direct) and %d nodes behind nginx, turn about, %d rounds of"
          + " %.0f s at %.0f sign-ins/s (page, password step, second step: the Gatling journey)", NODES, ROUNDS, WINDOW, RATE);
      // What a node costs doing nothing (timers, GC, the follower's probe every 200 ms): three nodes pay it three times.
      double idle0 = cluster.cpuSeconds(all);
      long idleStart = System.nanoTime();
      Thread.sleep(10_000);
      double idlePerNode = (cluster.cpuSeconds(all) - idle0) / ((System.nanoTime() - idleStart) / 1e9) / all.size();
      result("idle CPU per node (no requests; the follower's probes only): %.1f ms per second", idlePerNode * 1000);
      List<double[]> oneNode = new ArrayList<>();
      List<double[]> three = new ArrayList<>();
      for (int round = 1; round <= ROUNDS; round++) {
        oneNode.add(window("round " + round + ": node1 alone", direct, cycle, List.of(one), true));
        three.add(window("round " + round + ": " + NODES + " nodes via nginx", viaNginx, cycle, all, true));
      }
      double o = sum(oneNode, 0) / sum(oneNode, 1);
      double t = sum(three, 0) / sum(three, 1);
      double oSteady = sum(oneNode, 0) / (sum(oneNode, 1) - sum(oneNode, 2));
      double tSteady = sum(three, 0) / (sum(three, 1) - sum(three, 2));
      result("sign-ins per server CPU-second, one node: %.1f (%.1f without JIT)", o, oSteady);
      result("sign-ins per server CPU-second, %d nodes behind nginx: %.1f (%.1f without JIT)", NODES, t, tSteady);
      result("ratio %d nodes / one node: %.2f (%.2f without JIT); target: within 10 %%", NODES, t / o, tSteady / oSteady);
      double idleExtra = idlePerNode * (NODES - 1) * WINDOW * ROUNDS;
      result("the same with the %d extra nodes' idle CPU (%.2f s) left out: %.2f", NODES - 1, idleExtra,
          (sum(three, 0) / (sum(three, 1) - idleExtra)) / o);
      result("PostgreSQL CPU per sign-in: one node %.0f µs, %d nodes %.0f µs; nginx CPU per sign-in (%d nodes) %.0f µs",
          1e6 * sum(oneNode, 3) / sum(oneNode, 0), NODES, 1e6 * sum(three, 3) / sum(three, 0), NODES,
          1e6 * sum(three, 4) / sum(three, 0));

      say("\n== PostgreSQL statements and CPU per step, node1 alone (the follower paused: no SELECT 1 in the windows)");
      cluster.pauseFollower(true);
      Pool stats = Database.connect(vertx, pg.url("gatehouse"), 1);
      try {
        steps(direct, one, stepUsers, stats);
      } finally {
        stats.close();
        cluster.pauseFollower(false);
      }
    }
    say("\n== load average at end: %s", Proc.loadAverage());
    say("\n== results");
    results.forEach(r -> say("  %s", r));
    Files.write(WORK.resolve("results.txt"), results);
  }

  /**
   * Sign-ins (the Gatling journey) at RATE for a window through {@code client}; answers {sign-ins,
   * server CPU of {@code serving}, of which JIT, PostgreSQL CPU, nginx CPU}.
   */
  private double[] window(String label, LoadClient client, UserCycle cycle, List<Cluster.Node> serving, boolean print)
      throws Exception {
    double seconds = label.equals("warm-up") ? (serving.size() == 1 ? WARMUP / 3 : WARMUP) : WINDOW;
    LoginJourney journey = new LoginJourney(client, cycle);
    Map<Cluster.Node, Map<String, double[]>> threads0 = new LinkedHashMap<>();
    serving.forEach(n -> threads0.put(n, Proc.threadCpu(n.server().pid())));
    double cpu0 = cluster.cpuSeconds(serving);
    double pg0 = Proc.familyCpuSeconds(postmaster);
    double nginx0 = cluster.nginx().cpuSeconds();
    String load0 = Proc.loadAverage();
    Run run = client.openLoop(RATE, seconds, journey::run);
    double cpu = cluster.cpuSeconds(serving) - cpu0;
    double pg = Proc.familyCpuSeconds(postmaster) - pg0;
    double nginx = cluster.nginx().cpuSeconds() - nginx0;
    double jit = 0;
    for (Cluster.Node n : serving) {
      jit += compilerSeconds(threads0.get(n), Proc.threadCpu(n.server().pid()));
    }
    int ok = run.count(200);
    if (ok != run.sent) {
      // Past what the machine gives the nodes (503 from a full hashing queue): the window is not a clean one.
      say("  !! %s: not every sign-in succeeded: %s%s; lower -Dcluster.rate", label, run.statusSummary(),
          run.firstError == null ? "" : " " + run.firstError);
      results.add(label + ": NOT CLEAN, " + run.statusSummary());
    }
    if (print) {
      Map<String, Long> perNode = new LinkedHashMap<>();
      journey.requests.stream().map(r -> cluster.servedBy(r.upstream()))
          .forEach(n -> perNode.merge(n == null ? "node1 (direct)" : n.name(), 1L, Long::sum));
      say("  %-28s %4d sign-ins, server CPU %6.2f s (JIT %5.2f) -> %5.1f per CPU-second (%5.1f without JIT);"
              + " PostgreSQL %5.2f s, nginx %4.2f s; load %s -> %s; requests by node %s", label, ok, cpu, jit, ok / cpu,
          ok / (cpu - jit), pg, nginx, load0, Proc.loadAverage(), perNode);
    }
    return new double[] {ok, cpu, jit, pg, nginx};
  }

  /** Password step, second step and an authenticated request, each in a window of its own on {@code node}. */
  private void steps(LoadClient client, Cluster.Node node, List<SeededUser> users, Pool stats) throws Exception {
    // Password step: page + POST /api/session for TOTP users (answers two_factor_required); each user once.
    Queue pending = new Queue();
    IntFunction<Future<Integer>> password = i -> {
      SeededUser user = users.get(i);
      Browser b = new Browser();
      return client.get(b, "/").compose(page -> client.post(b, "/api/session",
          new JsonObject().put("email", user.email()).put("password", user.password()))).map(answer -> {
            if (answer.status() == 200) {
              pending.add(new Object[] {b, user});
            }
            return answer.status();
          });
    };
    stepWindow("password step (page + POST /api/session, 2FA user)", client, node, stats, 4, users.size(), password);

    // Second step: the pending sign-ins just made, each with the code of the current step.
    List<Object[]> waiting = new ArrayList<>(pending);
    Queue signedIn = new Queue();
    IntFunction<Future<Integer>> second = i -> {
      Browser b = (Browser) waiting.get(i)[0];
      SeededUser user = (SeededUser) waiting.get(i)[1];
      return client.post(b, "/api/session/two-factor", new JsonObject().put("code", LoadTotp.now(user.totpSecret())))
          .map(answer -> {
            if (answer.status() == 200) {
              signedIn.add(new Object[] {b});
            }
            return answer.status();
          });
    };
    // The step must not turn while codes of the last one are sent (each user once per step).
    long secondsLeft = 30 - (System.currentTimeMillis() / 1000) % 30;
    if (secondsLeft < 15) {
      Thread.sleep(secondsLeft * 1000 + 200);
    }
    stepWindow("second step (POST /api/session/two-factor)", client, node, stats, 8, waiting.size(), second);

    // Authenticated requests: GET /api/me with the sessions just signed in, round robin.
    List<Object[]> sessions = new ArrayList<>(signedIn);
    IntFunction<Future<Integer>> me = i -> client.get((Browser) sessions.get(i % sessions.size())[0], "/api/me")
        .map(LoadClient.Answer::status);
    client.closedLoop(8, 5, 1_000_000, me); // its own warm-up
    stepWindow("authenticated request (GET /api/me)", client, node, stats, 8, 4000, me);
  }

  /** A list filled from the client's event loop. */
  private static final class Queue extends ConcurrentLinkedQueue<Object[]> {
  }

  private void stepWindow(String label, LoadClient client, Cluster.Node node, Pool stats, int concurrency, int limit,
                          IntFunction<Future<Integer>> op) throws Exception {
    stats.query("SELECT pg_stat_statements_reset()").execute().await(30, TimeUnit.SECONDS);
    Map<String, double[]> threads0 = Proc.threadCpu(node.server().pid());
    double cpu0 = node.server().cpuSeconds();
    double pg0 = Proc.familyCpuSeconds(postmaster);
    Run run = client.closedLoop(concurrency, 60, limit, op);
    double cpu = node.server().cpuSeconds() - cpu0;
    double pg = Proc.familyCpuSeconds(postmaster) - pg0;
    double jit = compilerSeconds(threads0, Proc.threadCpu(node.server().pid()));
    int ok = run.count(200);
    if (ok != run.sent) {
      throw new IllegalStateException(label + ": " + run.statusSummary() + (run.firstError == null ? "" : " " + run.firstError));
    }
    List<Row> rows = new ArrayList<>();
    stats.query("""
        SELECT s.calls, s.rows, s.total_exec_time, regexp_replace(s.query, '\\s+', ' ', 'g') AS query
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = 'gatehouse' AND s.query NOT LIKE '%pg_stat_statements%'
        ORDER BY s.calls DESC""").execute().await(30, TimeUnit.SECONDS).forEach(rows::add);
    long statements = rows.stream().mapToLong(r -> r.getLong("calls")).sum();
    long transactionControl = rows.stream().filter(r -> r.getString("query").matches("(?i)^(BEGIN|COMMIT|ROLLBACK)\\b.*"))
        .mapToLong(r -> r.getLong("calls")).sum();
    double execMs = rows.stream().mapToDouble(r -> r.getDouble("total_exec_time")).sum();
    result("%s: %d in %.1f s; statements per op %.2f (of which BEGIN/COMMIT %.2f); PostgreSQL CPU %.0f µs per op"
            + " (executor %.0f µs); node CPU %.2f ms per op (%.2f without JIT); load %s", label, ok,
        run.elapsedNanos / 1e9, (double) statements / ok, (double) transactionControl / ok, pg * 1e6 / ok,
        execMs * 1000 / ok, cpu * 1000 / ok, (cpu - jit) * 1000 / ok, Proc.loadAverage());
    rows.stream().sorted(Comparator.comparingLong((Row r) -> -r.getLong("calls"))).limit(12).forEach(r ->
        say("      %6.2f per op  %s", r.getLong("calls") / (double) ok, abbreviate(r.getString("query"), 150)));
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  private static double compilerSeconds(Map<String, double[]> before, Map<String, double[]> after) {
    double total = 0;
    for (var e : after.entrySet()) {
      if (e.getKey().contains("CompilerThre")) {
        double[] b = before.getOrDefault(e.getKey(), new double[2]);
        total += e.getValue()[0] + e.getValue()[1] - b[0] - b[1];
      }
    }
    return total;
  }

  private static double sum(List<double[]> rows, int column) {
    return rows.stream().mapToDouble(r -> r[column]).sum();
  }

  private void result(String format, Object... args) {
    String line = String.format(Locale.ROOT, format, args);
    results.add(line);
    say("  %s", line);
  }

  private static void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  private synchronized void close() {
    try {
      if (cluster != null) {
        cluster.close();
        cluster = null;
      }
    } catch (Exception e) {
      System.err.println("cluster: stopping: " + e);
    }
    if (pg != null) {
      pg.close();
      pg = null;
    }
    vertx.close();
  }

  private static double dbl(String key, double def) {
    String v = System.getProperty(key);
    return v == null ? def : Double.parseDouble(v);
  }
}
