package dev.gatehouse.load;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Settings;
import dev.gatehouse.db.Database;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.db.Migrations;
import dev.gatehouse.load.LoadClient.Browser;
import dev.gatehouse.load.LoadClient.Run;
import dev.gatehouse.load.SeedUsers.Options;
import dev.gatehouse.load.SeedUsers.SeededUser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The login benchmark (issue "Load testing the login endpoint", figures a–f and the overload
 * behaviour), in one run on one machine. Started by {@code bench/login-bench.sh}, which passes the
 * server's class path; see docs/performance.md for what each figure means.
 *
 * <p>It starts one PostgreSQL (embedded, under target/load/bench/pg) that stays up for the whole
 * run, seeds users into a fresh database, then starts Gatehouse server processes against it with
 * the JVM flags of {@code bench.jvm}, and drives them over HTTP from this JVM. Server CPU comes
 * from /proc/PID/stat of the server process alone, so the load generator sharing the cores does
 * not count.
 */
public final class LoginBench {

  private static final double WARMUP = dbl("bench.warmup", 30);
  private static final double MEASURE = dbl("bench.measure", 20);
  private static final double OVERLOAD = dbl("bench.overload", 15);
  /** Live sessions for the second memory figure (e); the first is taken with SESSIONS_FEW. */
  private static final int SESSIONS = integer("bench.sessions", 100_000);
  private static final int SESSIONS_FEW = 1_000;
  private static final int ANONYMOUS_VIEWS = integer("bench.anonymousViews", 60_000);
  private static final int TOTP_USERS = integer("bench.totpUsers", 60_000);
  private static final double SECOND_STEP_RATE_UNDER_OVERLOAD = dbl("bench.secondStepRate", 20);
  private static final Path WORK = Path.of("target/load/bench");
  /** {@code -Dbench.only=second-step}: only (c) and (d), a few minutes, for working on the second step. */
  private static final boolean ONLY_SECOND_STEP = "second-step".equals(System.getProperty("bench.only", ""));
  /**
   * {@code -Dbench.statements=true}: pg_stat_statements (with planning time) loaded, and each statement
   * of the second step printed with its planning and execution time. An analysis aid: it costs
   * PostgreSQL CPU of its own, so the figures of such a run are not the benchmark's.
   */
  private static final boolean STATEMENTS = Boolean.getBoolean("bench.statements");

  private final Vertx vertx = Vertx.vertx();
  private final List<String> jvm = Arrays.stream(System.getProperty("bench.jvm", "-XX:+UseG1GC -Xmx256m").trim()
      .split("\\s+")).filter(s -> !s.isEmpty()).toList();
  private final String serverClasspath = System.getProperty("bench.serverClasspath", System.getProperty("java.class.path"));
  private final Map<String, String> figures = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final List<Double> startsExternal = new ArrayList<>();
  private Settings configured;
  /** The benchmark's PostgreSQL postmaster, whose backends' CPU is counted next to the server's. */
  private long postgresPid = -1;
  private String databaseUrl;
  private String secretKey;

  public static void main(String[] args) throws Exception {
    LoginBench bench = new LoginBench();
    int status;
    try {
      status = bench.run();
    } finally {
      bench.vertx.close();
    }
    System.exit(status);
  }

  record Params(String name, int memoryKib, int iterations, int parallelism) {
    Map<String, String> env() {
      return Map.of(Settings.ARGON2_MEMORY_KIB, Integer.toString(memoryKib),
          Settings.ARGON2_ITERATIONS, Integer.toString(iterations),
          Settings.ARGON2_PARALLELISM, Integer.toString(parallelism));
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "m=%d KiB t=%d p=%d", memoryKib, iterations, parallelism);
    }
  }

  private int run() throws Exception {
    Files.createDirectories(WORK);
    configured = Gatehouse.loadSettings(vertx, new JsonObject()).await(30, TimeUnit.SECONDS);
    Params main = new Params("configured", configured.argon2MemoryKib(), configured.argon2Iterations(),
        configured.argon2Parallelism());
    Params keycloak = new Params("keycloak", 7 * 1024, 5, 1);
    Params cheap = new Params("cheap", 8, 1, 1);

    say("machine: %d CPUs, %s; %s", Runtime.getRuntime().availableProcessors(), Proc.cpuModel(), System.getProperty("os.name")
        + " " + System.getProperty("os.version"));
    say("JVM: %s %s; server and (a) flags: %s", System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
        String.join(" ", jvm));
    say("hash: %s on %d thread(s), queue %d; durations: warm-up %.0f s, measure %.0f s, overload %.0f s",
        main, configured.hashThreads(), configured.hashQueue(), WARMUP, MEASURE, OVERLOAD);
    say("load average at start: %s", Proc.loadAverage());

    // A fresh cluster each run: no setting of an earlier run (pg_stat_statements) carries over.
    Proc.deleteRecursively(WORK.resolve("pg"));
    EmbeddedDatabase pg = EmbeddedDatabase.startScratch(WORK.resolve("pg"), 0);
    try {
      if (STATEMENTS) {
        Pool preload = Database.connect(vertx, pg.url("postgres"), 1);
        preload.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'").execute().await(30, TimeUnit.SECONDS);
        preload.close().await(10, TimeUnit.SECONDS);
        pg.close();
        pg = EmbeddedDatabase.startScratch(WORK.resolve("pg"), 0);
        Pool admin = Database.connect(vertx, pg.url("postgres"), 1);
        admin.query("ALTER SYSTEM SET pg_stat_statements.track_planning = on").execute()
            .compose(v -> admin.query("SELECT pg_reload_conf()").execute()).await(30, TimeUnit.SECONDS);
        admin.close().await(10, TimeUnit.SECONDS);
      }
      postgresPid = Long.parseLong(Files.readAllLines(WORK.resolve("pg").resolve("postmaster.pid")).get(0).trim());
      Pool admin = Database.connect(vertx, pg.url("postgres"), 1);
      admin.query("DROP DATABASE IF EXISTS bench WITH (FORCE)").execute()
          .compose(v -> admin.query("CREATE DATABASE bench").execute()).await(60, TimeUnit.SECONDS);
      admin.close();
      databaseUrl = pg.url("bench");
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      secretKey = Base64.getEncoder().encodeToString(key);
      Pool pool = Database.connect(vertx, databaseUrl, 4);
      Migrations.run(pool).await(60, TimeUnit.SECONDS);
      if (STATEMENTS) {
        pool.query("CREATE EXTENSION pg_stat_statements").execute().await(30, TimeUnit.SECONDS);
      }
      boolean totp = TotpSeeding.available(pool).await(10, TimeUnit.SECONDS);

      say("seeding");
      // Enough users that none meets its per-account password budget (10 attempts, charged before the
      // hash) even when most of its attempts are turned away with 503 past saturation.
      List<SeededUser> totpCheap = totp ? seed(pool, cheap, "tfc", TOTP_USERS, true) : List.of();
      if (ONLY_SECOND_STEP) {
        pool.close();
        secondStepOnly(cheap, totpCheap);
        return 0;
      }
      List<SeededUser> pw = seed(pool, main, "pw", 3000, false);
      List<SeededUser> pwKeycloak = seed(pool, keycloak, "pwk", 200, false);
      List<SeededUser> totpMain = totp ? seed(pool, main, "tfa", 1000, true) : List.of();
      pool.close();
      if (!totp) {
        notes.add("(c), (d) and the second step under overload need the TOTP tables (branch totp): skipped");
      }

      // (a) the ceiling: the server's hasher in a tight loop, same JVM flags.
      double a = hashRate(main);
      double aKeycloak = hashRate(keycloak);

      // (b), overload, (e) on a server with the configured parameters.
      double b;
      try (BenchServer s1 = startServer("configured", main)) {
        figures.put("rss after start (MiB)", f1(s1.rssMiB()));
        try (LoadClient client = new LoadClient(vertx, "127.0.0.1", s1.port, 256)) {
          b = passwordSaturation(client, s1, pw, "b");
          overload(client, s1, pw, totpMain, a);
          sessionStore(client, s1, pw);
        }
        finish(s1);
      }
      figures.put("(a) hashes per CPU-second, " + main, f1(a));
      figures.put("(b) password sign-ins per server CPU-second, " + main, f1(b));
      figures.put("b / a, JIT counted (target >= 0.9)", f2(b / a));
      figures.put("  JIT compiler share of the window (target < 2 %); b / a without it",
          f1(100 * jitShare.get("b")) + " %, " + f2(steady.get("b") / a));
      check(b / a >= 0.9, "efficiency b/a = " + f2(b / a) + " < 0.9 (without the JIT " + f2(steady.get("b") / a) + ")");

      double bKeycloak;
      try (BenchServer s2 = startServer("keycloak-params", keycloak);
           LoadClient client = new LoadClient(vertx, "127.0.0.1", s2.port, 256)) {
        bKeycloak = passwordSaturation(client, s2, pwKeycloak, "b7");
        finish(s2);
      }
      figures.put("(a) hashes per CPU-second, " + keycloak, f1(aKeycloak));
      figures.put("(b) password sign-ins per server CPU-second, " + keycloak + " (Keycloak 26: 20-24)", f1(bKeycloak));
      figures.put("b / a at " + keycloak + ", JIT counted (target >= 0.9)", f2(bKeycloak / aKeycloak));
      figures.put("  JIT compiler share of the window (target < 2 %); b / a without it, " + keycloak,
          f1(100 * jitShare.get("b7")) + " %, " + f2(steady.get("b7") / aKeycloak));
      check(bKeycloak / aKeycloak >= 0.9, "efficiency b/a at " + keycloak + " = " + f2(bKeycloak / aKeycloak) + " < 0.9");

      if (totp) {
        try (BenchServer s3 = startServer("second-step", cheap);
             LoadClient client = new LoadClient(vertx, "127.0.0.1", s3.port, 256)) {
          secondStep(client, s3, totpCheap);
          finish(s3);
        }
      }

      // (f) start to ready, against the PostgreSQL that is already running and with the embedded one.
      startsExternal.sort(Double::compare);
      figures.put("(f) start to ready of the benchmark's servers, PostgreSQL running, no archive (ms, median of "
          + startsExternal.size() + ")", f0(startsExternal.get(startsExternal.size() / 2)));
      packagedStarts(main);
      embeddedStarts(main);
    } finally {
      pg.close();
    }
    say("load average at end: %s", Proc.loadAverage());
    printTable();
    return 0;
  }

  private void secondStepOnly(Params cheap, List<SeededUser> totpCheap) throws Exception {
    try (BenchServer s3 = startServer("second-step", cheap);
         LoadClient client = new LoadClient(vertx, "127.0.0.1", s3.port, 256)) {
      secondStep(client, s3, totpCheap);
      finish(s3);
    }
    say("load average at end: %s", Proc.loadAverage());
    printTable();
  }

  // ---------------------------------------------------------------- seeding and servers

  private List<SeededUser> seed(Pool pool, Params params, String prefix, int count, boolean totp) throws Exception {
    Settings settings = Settings.from(Settings.defaults()
        .put(Settings.ARGON2_MEMORY_KIB, params.memoryKib())
        .put(Settings.ARGON2_ITERATIONS, params.iterations())
        .put(Settings.ARGON2_PARALLELISM, params.parallelism())
        .put(Settings.SECRET_KEY, secretKey)
        .put(Settings.DATA_DIR, WORK.resolve("data").toString()));
    long t0 = System.nanoTime();
    List<SeededUser> users = SeedUsers.seed(vertx, pool, settings,
        new Options(count, prefix, SeedUsers.DEFAULT_PASSWORD, totp, false, WORK.resolve(prefix + ".csv")))
        .await(10, TimeUnit.MINUTES);
    SeedUsers.writeCsv(WORK.resolve(prefix + ".csv"), users);
    say("  %d %s users (%s%s) in %d ms", count, prefix, params, totp ? ", TOTP on" : "", (System.nanoTime() - t0) / 1_000_000);
    return users;
  }

  private BenchServer startServer(String label, Params params) throws Exception {
    Map<String, String> env = new LinkedHashMap<>(System.getenv());
    env.putAll(params.env());
    env.put(Settings.DATABASE_URL, databaseUrl);
    env.put(Settings.SECRET_KEY, secretKey);
    env.put(Settings.DATA_DIR, WORK.resolve("data").toString());
    BenchServer server = BenchServer.start(label, jvm, serverClasspath, env, WORK);
    startsExternal.add(server.launchToReadyMs);
    say("server %s (pid %d, %s): ready %.0f ms after launch (it logged %.0f ms)", label, server.pid(), params,
        server.launchToReadyMs, server.selfReportedMs);
    return server;
  }

  private void finish(BenchServer server) throws Exception {
    double stopped = server.stop();
    List<String> blocked = server.blockedThreadWarnings();
    say("server %s stopped by SIGTERM in %.0f ms, exit %d; blocked-thread warnings in its log: %d", server.label,
        stopped, server.process.exitValue(), blocked.size());
    figures.put("blocked-thread warnings, server " + server.label, Integer.toString(blocked.size()));
    check(blocked.isEmpty(), "blocked-thread warnings in " + server.log);
    blocked.stream().limit(3).forEach(l -> say("    %s", l));
  }

  /** CPU seconds the JIT compiler threads used between two snapshots: warm-up still going on, not steady state. */
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

  /** With -Dbench.jfr=true, a JFR recording of a measured window (jcmd PID JFR.start / JFR.stop). */
  private void jfr(BenchServer server, String window, boolean start) {
    if (!Boolean.getBoolean("bench.jfr")) {
      return;
    }
    Path file = WORK.resolve("profile-" + window + ".jfr").toAbsolutePath();
    List<String> command = start
        ? List.of("jcmd", Long.toString(server.pid()), "JFR.start", "name=" + window, "settings=profile")
        : List.of("jcmd", Long.toString(server.pid()), "JFR.stop", "name=" + window, "filename=" + file);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(60, TimeUnit.SECONDS);
      if (!start) {
        say("  JFR profile of this window: %s (bench/jfr-summary.sh %s)", file, file);
      }
    } catch (IOException | InterruptedException e) {
      say("  JFR not recorded: %s", e);
    }
  }

  // ---------------------------------------------------------------- (a)

  private double hashRate(Params params) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), HashRate.class.getName(),
        Integer.toString(params.memoryKib()), Integer.toString(params.iterations()), Integer.toString(params.parallelism()),
        Integer.toString(configured.hashThreads()), Double.toString(WARMUP), Double.toString(MEASURE)));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    String line = out.lines().filter(l -> l.startsWith("hashes=")).findFirst()
        .orElseThrow(() -> new IllegalStateException("HashRate printed no result:\n" + out));
    Map<String, Double> v = new LinkedHashMap<>();
    for (String kv : line.split(" ")) {
      v.put(kv.split("=")[0], Double.parseDouble(kv.split("=")[1]));
    }
    double perCpu = v.get("hashes") / v.get("cpu");
    say("(a) %s: %.0f hashes in %.2f CPU-s over %.1f s wall on %d threads: %.1f per CPU-second, %.1f per second",
        params, v.get("hashes"), v.get("cpu"), v.get("wall"), configured.hashThreads(), perCpu, v.get("hashes") / v.get("wall"));
    return perCpu;
  }

  // ---------------------------------------------------------------- (b)

  /** Fresh browser: fetch the page (the CSRF cookie), then the password step. Answers its status. */
  private static Future<Integer> passwordSignIn(LoadClient client, SeededUser user) {
    Browser browser = new Browser();
    return client.get(browser, "/").compose(page -> page.status() != 200 ? Future.succeededFuture(page.status())
        : client.post(browser, "/api/session", new JsonObject().put("email", user.email()).put("password", user.password()))
            .map(LoadClient.Answer::status));
  }

  /** The JIT compiler threads' share of the server's CPU in each measured password window. */
  private final Map<String, Double> jitShare = new java.util.LinkedHashMap<>();
  /**
   * The warm-up ends when the JIT compiler threads use less than this share of the server's CPU in a
   * 10 s round: half the 2 % the measured window must stay under, because compilation comes in bursts
   * (a round at 1.2 % was followed by a window at 2.5 % on 2026-12-02).
   */
  private static final double QUIET_JIT = 0.01;

  /**
   * More warm-up, 10 s at a time (at most 4 minutes), until the JIT compiler threads use under 1 % of
   * the server's CPU: the measured window then shows the steady state with the JIT counted, not
   * subtracted.
   */
  private void warmUntilTheJitIsQuiet(LoadClient client, BenchServer server, int concurrency,
                                      IntFunction<Future<Integer>> op, String label) throws Exception {
    for (int round = 1; round <= 24; round++) {
      Map<String, double[]> t0 = Proc.threadCpu(server.pid());
      double cpu0 = server.cpuSeconds();
      client.closedLoop(concurrency, 10, 1_000_000, op);
      double cpu = server.cpuSeconds() - cpu0;
      double jit = compilerSeconds(t0, Proc.threadCpu(server.pid()));
      if (jit / cpu < QUIET_JIT) {
        say("(%s) warm: the JIT compiler threads used %.1f %% of the server's CPU in the last 10 s (after %d more)",
            label, 100 * jit / cpu, round);
        return;
      }
    }
    notes.add("(" + label + ") the JIT compiler threads were still above 1 % after 4 more minutes of warm-up");
  }

  private double passwordSaturation(LoadClient client, BenchServer server, List<SeededUser> users, String label)
      throws Exception {
    int concurrency = configured.hashThreads() * 2 + 2;
    IntFunction<Future<Integer>> op = i -> passwordSignIn(client, users.get(i % users.size()));
    client.closedLoop(concurrency, WARMUP, 1_000_000, op);
    warmUntilTheJitIsQuiet(client, server, concurrency, op, label);
    jfr(server, label, true);
    Map<String, double[]> threads0 = Proc.threadCpu(server.pid());
    double cpu0 = server.cpuSeconds();
    double pg0 = Proc.familyCpuSeconds(postgresPid);
    Run run = client.closedLoop(concurrency, MEASURE, 1_000_000, op);
    double cpu = server.cpuSeconds() - cpu0;
    double pg = Proc.familyCpuSeconds(postgresPid) - pg0;
    Map<String, double[]> threads1 = Proc.threadCpu(server.pid());
    jfr(server, label, false);
    int ok = run.count(200);
    double perCpu = ok / cpu;
    say("(%s) %d sign-ins (page + password step, %d in flight) in %.1f s: %.1f/s, server CPU %.2f s -> %.1f per CPU-second"
            + " (%.1f ms CPU each); statuses %s", label, ok, concurrency, run.elapsedNanos / 1e9,
        ok / (run.elapsedNanos / 1e9), cpu, perCpu, 1000 / perCpu, run.statusSummary());
    say("    PostgreSQL CPU meanwhile %.2f s (%.0f µs per sign-in); server CPU by thread:", pg, pg * 1e6 / ok);
    System.out.print(Proc.threadCpuDelta(threads0, threads1, ok));
    double jit = compilerSeconds(threads0, threads1);
    steady.put(label, ok / (cpu - jit));
    jitShare.put(label, jit / cpu);
    say("    the JIT compiler threads used %.2f s = %.1f %% of the server's CPU in the window (counted in the figure);"
        + " without them: %.1f per CPU-second", jit, 100 * jit / cpu, ok / (cpu - jit));
    check(ok == run.completed.get(), "(" + label + ") not every sign-in succeeded: " + run.statusSummary()
        + (run.firstError == null ? "" : " " + run.firstError));
    figures.put("(" + label + ") password sign-ins per wall second at saturation", f1(ok / (run.elapsedNanos / 1e9)));
    lastPasswordWallRate = ok / (run.elapsedNanos / 1e9);
    return perCpu;
  }

  private double lastPasswordWallRate;
  /** Operations per server CPU-second without the JIT compiler threads, by figure. */
  private final Map<String, Double> steady = new LinkedHashMap<>();

  // ---------------------------------------------------------------- overload

  private void overload(LoadClient client, BenchServer server, List<SeededUser> pw, List<SeededUser> totpUsers, double a)
      throws Exception {
    // Twice what the hashing threads could do with whole cores to themselves (a), or twice what (b)
    // measured, whichever is more; and enough excess to overflow the hash queue twice over. (On a
    // shared machine (b) alone can be far below what the cores do a minute later.)
    double capacity = Math.max(lastPasswordWallRate, configured.hashThreads() * a);
    double rate = Math.max(2 * capacity, capacity + 2.0 * (configured.hashQueue() + configured.hashThreads()) / OVERLOAD);
    UserCycle cycle = totpUsers.isEmpty() ? null : new UserCycle(totpUsers);
    Run baselineSecond = null;
    if (cycle != null) {
      // The second step at a modest rate on the quiet server first, to compare its p99 with.
      List<Pending> pending = preparePending(client, cycle, (int) Math.ceil(SECOND_STEP_RATE_UNDER_OVERLOAD * OVERLOAD));
      baselineSecond = client.openLoop(SECOND_STEP_RATE_UNDER_OVERLOAD, OVERLOAD, i -> secondStepOp(client, cycle, pending.get(i)));
    }
    List<Pending> pending = cycle == null ? List.of()
        : preparePending(client, cycle, (int) Math.ceil(SECOND_STEP_RATE_UNDER_OVERLOAD * OVERLOAD));
    Map<Integer, String> retryAfter = new java.util.concurrent.ConcurrentHashMap<>();
    IntFunction<Future<Integer>> password = i -> {
      SeededUser user = pw.get(i % pw.size());
      Browser browser = new Browser();
      return client.get(browser, "/").compose(page -> client.post(browser, "/api/session",
          new JsonObject().put("email", user.email()).put("password", user.password()))).map(answer -> {
            if (answer.status() == 503 && answer.retryAfter() != null) {
              retryAfter.put(i, answer.retryAfter());
            }
            return answer.status();
          });
    };
    IntFunction<Future<Integer>> probe = i -> client.get(null, "/health/live").map(LoadClient.Answer::status);
    double cpu0 = server.cpuSeconds();
    CompletableFuture<Run> probeRun = CompletableFuture.supplyAsync(() -> unchecked(() -> client.openLoop(50, OVERLOAD, probe)));
    CompletableFuture<Run> secondRun = cycle == null ? CompletableFuture.completedFuture(null)
        : CompletableFuture.supplyAsync(() -> unchecked(() ->
            client.openLoop(SECOND_STEP_RATE_UNDER_OVERLOAD, OVERLOAD, i -> secondStepOp(client, cycle, pending.get(i)))));
    Run pass = client.openLoop(rate, OVERLOAD, password);
    Run probes = probeRun.get();
    Run second = secondRun.get();
    double cpu = server.cpuSeconds() - cpu0;
    int ok = pass.count(200);
    int busy = pass.count(503);
    say("overload: password step offered at %.0f/s (2x capacity) for %.0f s: %s; %.1f sign-ins/s, server CPU %.2f s -> "
            + "%.1f per CPU-second", rate, OVERLOAD, pass.statusSummary(), ok / (pass.elapsedNanos / 1e9), cpu, ok / cpu);
    say("  latency from scheduled send: 200s p50 %.0f ms p99 %.0f ms max %.0f ms; 503s p50 %.1f ms p99 %.1f ms;"
            + " 503s with Retry-After %d of %d; generator lag max %.1f ms", pass.percentileMs(50, 200),
        pass.percentileMs(99, 200), pass.percentileMs(100, 200), pass.percentileMs(50, 503), pass.percentileMs(99, 503),
        retryAfter.size(), busy, pass.maxDispatchLagNanos.get() / 1e6);
    say("  event-loop probe GET /health/live at 50/s meanwhile: p50 %.1f ms p99 %.1f ms max %.1f ms (%s)",
        probes.percentileMs(50), probes.percentileMs(99), probes.percentileMs(100), probes.statusSummary());
    figures.put("overload: password step offered at 2x capacity, answered 200 / 503", ok + " / " + busy);
    figures.put("overload: 503s carrying Retry-After", retryAfter.size() + " of " + busy);
    // Bounded: a request waits at most for the queue ahead of it, (queue + threads) / throughput.
    double bound = 1000.0 * (configured.hashQueue() + configured.hashThreads()) / Math.max(1, ok / (pass.elapsedNanos / 1e9));
    figures.put("overload: password step p99 / max latency of 200s (ms; queue bound " + f0(bound) + ")",
        f0(pass.percentileMs(99, 200)) + " / " + f0(pass.percentileMs(100, 200)));
    figures.put("overload: /health/live p99 meanwhile (ms)", f1(probes.percentileMs(99)));
    check(busy > 0, "overload: no 503 past saturation");
    check(retryAfter.size() == busy, "overload: a 503 without Retry-After");
    check(pass.count(200) + busy == pass.sent, "overload: answers other than 200/503: " + pass.statusSummary());
    if (second != null) {
      say("  second step at %.0f/s: quiet server p50 %.1f p99 %.1f ms (%s); during overload p50 %.1f p99 %.1f ms (%s)",
          SECOND_STEP_RATE_UNDER_OVERLOAD, baselineSecond.percentileMs(50, 200), baselineSecond.percentileMs(99, 200),
          baselineSecond.statusSummary(), second.percentileMs(50, 200), second.percentileMs(99, 200), second.statusSummary());
      figures.put("overload: second step p99, quiet -> password step saturated (ms)",
          f1(baselineSecond.percentileMs(99, 200)) + " -> " + f1(second.percentileMs(99, 200)));
      check(second.count(200) == second.sent, "overload: second step failures " + second.statusSummary());
    }
  }

  // ---------------------------------------------------------------- (c) and (d)

  record Pending(Browser browser, int user) {
  }

  /** Password steps for {@code n} TOTP users, each free in the current step: sessions waiting for a code. */
  private List<Pending> preparePending(LoadClient client, UserCycle cycle, int n) throws Exception {
    int[] users = new int[n];
    for (int i = 0; i < n; i++) {
      users[i] = cycle.reserveWaiting();
    }
    Pending[] pending = new Pending[n];
    Run run = client.closedLoop(16, 3600, n, i -> {
      Browser browser = new Browser();
      SeededUser user = cycle.user(users[i]);
      return client.get(browser, "/").compose(page -> client.post(browser, "/api/session",
          new JsonObject().put("email", user.email()).put("password", user.password()))).map(answer -> {
            if (answer.status() == 200 && "two_factor_required".equals(answer.json().getString("state"))) {
              pending[i] = new Pending(browser, users[i]);
              return 200;
            }
            return answer.status();
          });
    });
    if (run.count(200) != n) {
      throw new IllegalStateException("preparing pending sign-ins failed: " + run.statusSummary() + " " + run.firstError);
    }
    return Arrays.asList(pending);
  }

  private static Future<Integer> secondStepOp(LoadClient client, UserCycle cycle, Pending pending) {
    long step = cycle.use(pending.user());
    String code = LoadTotp.code(LoadTotp.decode(cycle.user(pending.user()).totpSecret()), step);
    return client.post(pending.browser(), "/api/session/two-factor", new JsonObject().put("code", code))
        .map(LoadClient.Answer::status);
  }

  /** Users kept apart for the floor (d): its steps run far ahead of the clock, so they cannot sign in after. */
  private static final int FLOOR_USERS = 2000;
  /** (c) and (d) are measured in this many alternating pairs of windows, so a drift of the VM's speed hits both. */
  private static final int ROUNDS = 5;

  /** What a series of measured windows of one operation added up to. */
  private final class Windows {
    final Map<String, double[]> threads = new java.util.TreeMap<>();
    long ops;
    long completed;
    long nanos;
    double cpu;
    double pg;
    String statuses = "";
    String firstError;

    /** Runs one closed-loop window of {@code op} and adds it up; {@code status} is the answer that counts. */
    void window(LoadClient client, BenchServer server, int concurrency, double seconds, int limit,
                IntFunction<Future<Integer>> op, int status) throws Exception {
      Map<String, double[]> t0 = Proc.threadCpu(server.pid());
      double cpu0 = server.cpuSeconds();
      double pg0 = Proc.familyCpuSeconds(postgresPid);
      Run run = client.closedLoop(concurrency, seconds, limit, op);
      cpu += server.cpuSeconds() - cpu0;
      pg += Proc.familyCpuSeconds(postgresPid) - pg0;
      Map<String, double[]> t1 = Proc.threadCpu(server.pid());
      t1.forEach((name, after) -> {
        double[] before = t0.getOrDefault(name, new double[2]);
        double[] sum = threads.computeIfAbsent(name, k -> new double[2]);
        sum[0] += after[0] - before[0];
        sum[1] += after[1] - before[1];
      });
      ops += run.count(status);
      completed += run.completed.get();
      nanos += run.elapsedNanos;
      statuses += (statuses.isEmpty() ? "" : ", ") + run.statusSummary();
      if (firstError == null) {
        firstError = run.firstError;
      }
    }

    double perSecond() {
      return ops / (nanos / 1e9);
    }

    double jit() {
      return compilerSeconds(Map.of(), threads);
    }

    /** µs of server CPU without the JIT, and of PostgreSQL CPU, per operation. */
    double[] costs() {
      return new double[] {(cpu - jit()) * 1e6 / ops, pg * 1e6 / ops};
    }
  }

  /**
   * (c) the second step at saturation and (d) its floor, in alternating windows on the same server
   * (their ratio is the target; a VM whose speed drifts by tens of percent within minutes, as this one
   * does, would otherwise decide it), then the second step's latency in open loops at 80 % and 25 % of
   * (c), and the floor's at 80 % of (d).
   */
  private void secondStep(LoadClient client, BenchServer server, List<SeededUser> users) throws Exception {
    UserCycle cycle = new UserCycle(users.subList(0, users.size() - FLOOR_USERS));
    List<SeededUser> floorUsers = users.subList(users.size() - FLOOR_USERS, users.size());
    int concurrency = 32;
    // Warm-up (the JIT needs thousands of passes over the code), then saturation over as many pending
    // sign-ins as the users allow. The warm-up goes on (at most 4 minutes) until the JIT compiler threads
    // use under 1 % of the server's CPU while codes are checked, as for (b).
    long warmStart = System.nanoTime();
    for (int round = 1; ; round++) {
      List<Pending> warm = preparePending(client, cycle, Math.min(3000, cycle.size() / 10));
      Map<String, double[]> t0 = Proc.threadCpu(server.pid());
      double cpu0 = server.cpuSeconds();
      client.closedLoop(concurrency, 60, warm.size(), i -> secondStepOp(client, cycle, warm.get(i)));
      double jit = compilerSeconds(t0, Proc.threadCpu(server.pid())) / (server.cpuSeconds() - cpu0);
      double warmed = (System.nanoTime() - warmStart) / 1e9;
      if (warmed >= WARMUP && jit < QUIET_JIT || warmed > 240) {
        say("(c) warm after %.0f s (%d rounds): the JIT compiler threads used %.1f %% of the server's CPU in the last round",
            warmed, round, 100 * jit);
        break;
      }
    }
    // The floor: the same conditional UPDATE on a bare route, for users of its own. Its steps are far
    // beyond the clock and always later than the user's last one, so every UPDATE takes its row as a
    // real second step does.
    java.util.concurrent.atomic.AtomicLong step = new java.util.concurrent.atomic.AtomicLong(LoadTotp.currentStep() + 1_000_000);
    java.util.concurrent.atomic.AtomicInteger floorNext = new java.util.concurrent.atomic.AtomicInteger();
    IntFunction<Future<Integer>> floorOp = i -> client.send(null, io.vertx.core.http.HttpMethod.POST,
        "/bench/floor?user=" + floorUsers.get(floorNext.getAndIncrement() % floorUsers.size()).id() + "&step="
            + step.incrementAndGet(), null).map(LoadClient.Answer::status);
    client.closedLoop(concurrency, Math.max(5, WARMUP / 3), 10_000_000, floorOp);

    int n = Math.min(cycle.available(), cycle.size() / 2);
    List<Pending> sat = preparePending(client, cycle, n);
    resetStatements();
    jfr(server, "cd", true);
    Windows c = new Windows();
    Windows d = new Windows();
    int perRound = sat.size() / ROUNDS;
    for (int round = 0; round < ROUNDS; round++) {
      int offset = round * perRound;
      c.window(client, server, concurrency, MEASURE / ROUNDS, perRound,
          i -> secondStepOp(client, cycle, sat.get(offset + i)), 200);
      d.window(client, server, concurrency, MEASURE / ROUNDS, 10_000_000, floorOp, 204);
    }
    jfr(server, "cd", false);
    double cRate = c.perSecond();
    double dRate = d.perSecond();
    say("(c) second step, %d in flight, %d windows alternating with (d): %d verified in %.1f s = %.0f/s; server CPU %.2f s"
        + " (%.0f µs each); %s", concurrency, ROUNDS, c.ops, c.nanos / 1e9, cRate, c.cpu, c.cpu * 1e6 / c.ops, c.statuses);
    say("    PostgreSQL CPU meanwhile %.2f s (%.0f µs per verification); server CPU by thread:", c.pg, c.pg * 1e6 / c.ops);
    System.out.print(Proc.threadCpuDelta(Map.of(), c.threads, c.ops));
    printStatements((int) c.ops);
    say("(d) floor: bare route, same conditional UPDATE, %d in flight: %d in %.1f s = %.0f/s; server CPU %.2f s (%.0f µs each); %s",
        concurrency, d.ops, d.nanos / 1e9, dRate, d.cpu, d.cpu * 1e6 / d.ops, d.statuses);
    say("    PostgreSQL CPU meanwhile %.2f s (%.0f µs per UPDATE); server CPU by thread:", d.pg, d.pg * 1e6 / d.ops);
    System.out.print(Proc.threadCpuDelta(Map.of(), d.threads, d.ops));
    check(c.ops == c.completed, "(c) failures: " + c.statuses + " " + c.firstError);
    // 409: the same user came round again while an older step of theirs was still in flight; refused, as it must be.
    check(d.firstError == null, "(d) failures: " + d.statuses + " " + d.firstError);
    if (c.nanos < 3e9) {
      notes.add("(c) ran out of pending sign-ins after " + f1(c.nanos / 1e9) + " s: raise -Dbench.totpUsers");
    }
    double[] cCost = c.costs();
    double[] dCost = d.costs();
    figures.put("(c) second-step verifications per second at saturation", f0(cRate));
    figures.put("(d) floor: bare route with the same UPDATE, per second", f0(dRate));
    figures.put("c / d, in " + ROUNDS + " alternating windows each (target >= 0.33)", f2(cRate / dRate));
    figures.put("  CPU per operation, server (no JIT) + PostgreSQL (µs): second step / floor",
        f0(cCost[0]) + " + " + f0(cCost[1]) + " / " + f0(dCost[0]) + " + " + f0(dCost[1]));
    figures.put("  c / d by CPU per operation (server without JIT + PostgreSQL)",
        f2((dCost[0] + dCost[1]) / (cCost[0] + cCost[1])));
    figures.put("  JIT compiler share of the (c) windows", f1(100 * c.jit() / c.cpu) + " %");
    check(cRate / dRate >= 0.33, "c/d = " + f2(cRate / dRate) + " < 0.33");

    Run at80 = secondStepOpenLoop(client, cycle, 0.8, cRate);
    figures.put("(c) p50 / p99 at 80 % (ms)", f2(at80.percentileMs(50, 200)) + " / " + f2(at80.percentileMs(99, 200)));
    check(at80.count(200) == at80.sent, "(c) at 80 %: failures " + at80.statusSummary());
    check(at80.percentileMs(99, 200) <= 10, "(c) p99 at 80 % = " + f2(at80.percentileMs(99, 200)) + " ms > 10 ms");
    // Not a target: the latency where the two cores are not all taken by server, PostgreSQL and the
    // generator together, to tell the server's own latency from a queue at 80 %.
    Run at25 = secondStepOpenLoop(client, cycle, 0.25, cRate);
    figures.put("(c) p50 / p99 at 25 % (ms; not a target)", f2(at25.percentileMs(50, 200)) + " / "
        + f2(at25.percentileMs(99, 200)));
    Run floorAt80 = client.openLoop(0.8 * dRate, MEASURE, floorOp);
    say("(d) at 80%% = %.0f/s for %.0f s, open loop: p50 %.2f ms p99 %.2f ms max %.1f ms; %s; generator lag max %.1f ms",
        0.8 * dRate, MEASURE, floorAt80.percentileMs(50, 204), floorAt80.percentileMs(99, 204),
        floorAt80.percentileMs(100, 204), floorAt80.statusSummary(), floorAt80.maxDispatchLagNanos.get() / 1e6);
    figures.put("(d) floor p50 / p99 at 80 % (ms)", f2(floorAt80.percentileMs(50, 204)) + " / "
        + f2(floorAt80.percentileMs(99, 204)));
  }

  /** The second step in an open loop at {@code fraction} of its saturated rate, on pending sign-ins prepared first. */
  private Run secondStepOpenLoop(LoadClient client, UserCycle cycle, double fraction, double saturated) throws Exception {
    double rate = fraction * saturated;
    double seconds = Math.min(MEASURE, cycle.size() * 0.8 / rate);
    List<Pending> pending = preparePending(client, cycle, (int) Math.ceil(rate * seconds));
    Run run = client.openLoop(rate, seconds, i -> secondStepOp(client, cycle, pending.get(i)));
    say("(c) at %.0f%% = %.0f/s for %.1f s, open loop: p50 %.2f ms p99 %.2f ms max %.1f ms; %s; generator lag max %.1f ms",
        100 * fraction, rate, seconds, run.percentileMs(50, 200), run.percentileMs(99, 200), run.percentileMs(100, 200),
        run.statusSummary(), run.maxDispatchLagNanos.get() / 1e6);
    return run;
  }

  private void resetStatements() throws Exception {
    if (STATEMENTS) {
      Pool pool = Database.connect(vertx, databaseUrl, 1);
      pool.query("SELECT pg_stat_statements_reset()").execute().await(30, TimeUnit.SECONDS);
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** With -Dbench.statements=true: each statement since the reset, per operation, planning and execution. */
  private void printStatements(int ops) throws Exception {
    if (!STATEMENTS) {
      return;
    }
    Pool pool = Database.connect(vertx, databaseUrl, 1);
    try {
      say("    statements (pg_stat_statements; planning and execution time per call, in µs; in full in %s):",
          WORK.resolve("statements.txt"));
      StringBuilder full = new StringBuilder();
      pool.query("""
          SELECT s.queryid, s.calls, s.total_plan_time / greatest(s.plans, 1) AS plan, s.plans,
                 s.total_exec_time / s.calls AS exec, s.wal_records::float8 / s.calls AS wal_records,
                 s.wal_bytes::float8 / s.calls AS wal_bytes, s.shared_blks_dirtied::float8 / s.calls AS dirtied,
                 regexp_replace(s.query, '\\s+', ' ', 'g') AS query
          FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = 'bench' AND s.query NOT LIKE '%pg_stat_statements%' AND s.calls >= 10
          ORDER BY s.calls * (s.total_exec_time / s.calls) DESC""").execute().await(30, TimeUnit.SECONDS).forEach(r -> {
            String q = r.getString("query");
            full.append(String.format(Locale.ROOT, "-- queryid %d: %d calls, %d plans, plan %.0f µs, exec %.0f µs;"
                    + " per call %.1f WAL records, %.0f WAL bytes, %.2f blocks dirtied%n%s;%n%n",
                r.getLong("queryid"), r.getLong("calls"), r.getLong("plans"), r.getDouble("plan") * 1000,
                r.getDouble("exec") * 1000, r.getDouble("wal_records"), r.getDouble("wal_bytes"), r.getDouble("dirtied"), q));
            say("      %5.2f per op, planned %5.2f per op: plan %6.0f, exec %6.0f, WAL records %4.1f (%5.0f B)  %s",
                r.getLong("calls") / (double) ops, r.getLong("plans") / (double) ops, r.getDouble("plan") * 1000,
                r.getDouble("exec") * 1000, r.getDouble("wal_records"), r.getDouble("wal_bytes"),
                q.length() <= 120 ? q : q.substring(0, 119) + "…");
          });
      Files.writeString(WORK.resolve("statements.txt"), full);
    } finally {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- (e), the session store, anonymous views

  /**
   * Sessions live in PostgreSQL, so the server's memory must not grow with them: (e) is VmRSS with
   * 1,000 and then 100,000 live sessions, each read once through the server. Before them, the store's
   * cost per authenticated request (g, the session read); after them, anonymous page views, which must
   * write nothing at all.
   */
  private void sessionStore(LoadClient client, BenchServer server, List<SeededUser> users) throws Exception {
    Pool pool = Database.connect(vertx, databaseUrl, 4);
    try {
      // The sign-ins before this left live sessions of their own (more than SESSIONS_FEW on a quiet machine);
      // the cost below needs a thousand cookies it knows, so at least that many are seeded.
      List<String> few = seedSessions(pool, users,
          Math.max(Math.min(1_000, SESSIONS_FEW), SESSIONS_FEW - liveSessions(client)));
      // The cost first: its traffic also brings the heap to the size it keeps, for both memory figures alike.
      sessionReadCost(client, server, pool, few);
      double rssFew = readEachOnce(client, server, few);
      double heapFew = liveHeapMiB(server);
      int liveFew = liveSessions(client);
      say("(e) %d live sessions: VmRSS %.0f MiB, heap after a full GC %.1f MiB", liveFew, rssFew, heapFew);

      List<String> many = seedSessions(pool, users, Math.max(0, SESSIONS - liveSessions(client)));
      double rssMany = readEachOnce(client, server, many);
      double heapMany = liveHeapMiB(server);
      int liveMany = liveSessions(client);
      say("(e) %d live sessions: VmRSS %.0f MiB (%+.1f %% against %d), heap after a full GC %.1f MiB", liveMany,
          rssMany, 100 * (rssMany / rssFew - 1), liveFew, heapMany);
      figures.put("(e) VmRSS with " + liveFew + " / " + liveMany + " live sessions (MiB; target: the second <= 10 % above)",
          f0(rssFew) + " / " + f0(rssMany) + String.format(Locale.ROOT, " (%+.1f %%)", 100 * (rssMany / rssFew - 1)));
      figures.put("  heap in use after a full GC, the same two (MiB)", f1(heapFew) + " / " + f1(heapMany));
      check(rssMany <= rssFew * 1.10, "(e) RSS with " + liveMany + " sessions is more than 10 % above the figure with "
          + liveFew);

      anonymousViews(client, server, pool);
    } finally {
      pool.close();
    }
  }

  private int liveSessions(LoadClient client) throws Exception {
    return client.await(v -> client.get(null, "/bench/stats").map(a -> a.json().getInteger("sessions")), 30);
  }

  /**
   * Signed-in sessions written straight into the table, 5,000 a statement (a password sign-in each
   * would take hours of Argon2): the ids are the cookies this client then sends, their hashes the
   * keys, as the server itself would store them.
   */
  private static List<String> seedSessions(Pool pool, List<SeededUser> users, int n) throws Exception {
    SecureRandom random = new SecureRandom();
    List<String> ids = new ArrayList<>(n);
    long now = System.currentTimeMillis();
    for (int from = 0; from < n; from += 5_000) {
      int size = Math.min(5_000, n - from);
      io.vertx.core.buffer.Buffer[] hashes = new io.vertx.core.buffer.Buffer[size];
      java.util.UUID[] owners = new java.util.UUID[size];
      for (int i = 0; i < size; i++) {
        byte[] id = new byte[16];
        random.nextBytes(id);
        String hex = java.util.HexFormat.of().formatHex(id);
        ids.add(hex);
        hashes[i] = io.vertx.core.buffer.Buffer.buffer(java.security.MessageDigest.getInstance("SHA-256")
            .digest(hex.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        owners[i] = users.get((from + i) % users.size()).id();
      }
      pool.preparedQuery("""
              INSERT INTO sessions (id_hash, handle, user_id, data, method, user_agent, address, created_at,
                                    last_seen_at, idle_expires_at, absolute_expires_at)
              SELECT h, gen_random_uuid(), u, jsonb_build_object('user', u::text, 'signedInAt', $3::bigint,
                     'method', 'password'), 'password', 'LoginBench', '127.0.0.1', now(), now(),
                     now() + interval '30 minutes', now() + interval '12 hours'
              FROM unnest($1::bytea[], $2::uuid[]) AS t(h, u)""")
          .execute(io.vertx.sqlclient.Tuple.of(hashes, owners, now)).await(120, TimeUnit.SECONDS);
    }
    return ids;
  }

  /**
   * The live heap: VmRSS is capped by -Xmx once traffic has grown the heap, so what the heap holds
   * after a full GC (jcmd GC.run, then GC.heap_info) is the sharper sign that sessions are not in it.
   */
  private static double liveHeapMiB(BenchServer server) throws Exception {
    for (String command : List.of("GC.run", "GC.heap_info")) {
      Process p = new ProcessBuilder("jcmd", Long.toString(server.pid()), command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(60, TimeUnit.SECONDS);
      java.util.regex.Matcher used = java.util.regex.Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(out);
      if (command.equals("GC.heap_info")) {
        return used.find() ? Long.parseLong(used.group(1)) / 1024.0 : Double.NaN;
      }
    }
    return Double.NaN;
  }

  /** Every session read once through the server (the page, with its cookie), then VmRSS. */
  private static double readEachOnce(LoadClient client, BenchServer server, List<String> ids) throws Exception {
    Run run = client.closedLoop(32, 3600, ids.size(), i -> {
      Browser browser = new Browser();
      browser.session = ids.get(i);
      return client.get(browser, "/").map(LoadClient.Answer::status);
    });
    if (run.count(200) != ids.size()) {
      throw new IllegalStateException("reading the seeded sessions failed: " + run.statusSummary() + " " + run.firstError);
    }
    Thread.sleep(2000);
    return server.rssMiB();
  }

  /**
   * The store's cost per authenticated request: the page with a live session cookie (one statement,
   * the session read, and no write: last-seen is moved to now before the window so no row is older
   * than a minute in it) against the same page without one (no database at all). Server CPU without
   * the JIT compiler, and PostgreSQL's, per request.
   */
  private void sessionReadCost(LoadClient client, BenchServer server, Pool pool, List<String> ids) throws Exception {
    IntFunction<Future<Integer>> signedIn = i -> {
      Browser browser = new Browser();
      browser.session = ids.get(i % ids.size());
      return client.get(browser, "/").map(LoadClient.Answer::status);
    };
    IntFunction<Future<Integer>> anonymous = i -> client.get(new Browser(), "/").map(LoadClient.Answer::status);
    double[] with = pageCost(client, server, signedIn, () -> pool.query("UPDATE sessions SET last_seen_at = now()")
        .execute().await(60, TimeUnit.SECONDS));
    double[] without = pageCost(client, server, anonymous, () -> null);
    say("(g) the page with a live session: %.0f µs server + %.0f µs PostgreSQL; without one: %.0f + %.0f µs;"
        + " the session read: %.0f µs server, %.0f µs PostgreSQL", with[0], with[1], without[0], without[1],
        with[0] - without[0], with[1] - without[1]);
    figures.put("(g) the session store per authenticated request: server + PostgreSQL CPU (µs)",
        f0(with[0] - without[0]) + " + " + f0(with[1] - without[1]) + " (page " + f0(with[0]) + " + " + f0(with[1])
            + " with a session, " + f0(without[0]) + " + " + f0(without[1]) + " without)");
  }

  /** µs of server CPU (without JIT) and of PostgreSQL CPU per operation, after a warm-up; {@code before} runs first. */
  private double[] pageCost(LoadClient client, BenchServer server, IntFunction<Future<Integer>> op, Call<?> before)
      throws Exception {
    client.closedLoop(32, WARMUP, 10_000_000, op);
    before.call();
    Map<String, double[]> threads0 = Proc.threadCpu(server.pid());
    double cpu0 = server.cpuSeconds();
    double pg0 = Proc.familyCpuSeconds(postgresPid);
    Run run = client.closedLoop(32, MEASURE, 10_000_000, op);
    double cpu = server.cpuSeconds() - cpu0;
    double pg = Proc.familyCpuSeconds(postgresPid) - pg0;
    double jit = compilerSeconds(threads0, Proc.threadCpu(server.pid()));
    check(run.count(200) == run.completed.get(), "(g) failures: " + run.statusSummary() + " " + run.firstError);
    return new double[] {(cpu - jit) * 1e6 / run.count(200), pg * 1e6 / run.count(200)};
  }

  /**
   * Cookie-less views of the sign-in page, as a crawler or a flood sends them: rows the sessions table
   * gained or changed, bytes PostgreSQL wrote (its WAL) and the server's memory, before and after.
   */
  private void anonymousViews(LoadClient client, BenchServer server, Pool pool) throws Exception {
    // Rows inserted or updated since: their xmin is a transaction id from after this one (exact,
    // where pg_stat's counters lag); rows deleted show in the count.
    String state = "SELECT txid_current() % 4294967296, pg_current_wal_lsn()::text, (SELECT count(*) FROM sessions)";
    io.vertx.sqlclient.Row before = pool.query(state).execute().await(30, TimeUnit.SECONDS).iterator().next();
    double rss0 = server.rssMiB();
    Run run = client.closedLoop(32, 3600, ANONYMOUS_VIEWS, i -> client.get(null, "/signin").map(LoadClient.Answer::status));
    Thread.sleep(2000);
    double rss1 = server.rssMiB();
    io.vertx.sqlclient.Row after = pool.query(state).execute().await(30, TimeUnit.SECONDS).iterator().next();
    long wal = pool.preparedQuery("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint")
        .execute(io.vertx.sqlclient.Tuple.of(after.getString(1), before.getString(1))).await(30, TimeUnit.SECONDS)
        .iterator().next().getLong(0);
    long rows = pool.preparedQuery("SELECT count(*) FROM sessions WHERE xmin::text::bigint > $1")
        .execute(io.vertx.sqlclient.Tuple.of(before.getLong(0))).await(30, TimeUnit.SECONDS).iterator().next().getLong(0);
    long count = after.getLong(2) - before.getLong(2);
    int views = run.count(200);
    say("anonymous: %d cookie-less views of /signin (%s) in %.1f s: session rows inserted or updated %d (table %+d rows),"
            + " WAL %d bytes (%.2f per view), VmRSS %.0f -> %.0f MiB", views, run.statusSummary(),
        run.elapsedNanos / 1e9, rows, count, wal, (double) wal / views, rss0, rss1);
    figures.put("anonymous page views: " + views + " cookie-less, session rows / WAL bytes written per view (target 0)",
        f2((double) rows / views) + " / " + f2((double) wal / views) + " (VmRSS " + f0(rss0) + " -> " + f0(rss1) + " MiB)");
    check(views == run.completed.get(), "anonymous views: failures " + run.statusSummary());
    check(rows == 0 && count == 0, "anonymous views wrote " + rows + " session rows (table " + count + ")");
  }

  // ---------------------------------------------------------------- (f)

  /**
   * The deployable build, as docs/deploy.md starts it: {@code java FLAGS -jar gatehouse.jar} in the
   * directory of ./mvnw package's output, with and without the AppCDS archive the build trained
   * ({@code -XX:SharedArchiveFile=gatehouse.jsa}), taken turn about so that a busier minute
   * favours neither. Wall time to ready is the figure; CPU time to ready is printed beside it
   * because it moves much less when neighbours take the cores.
   */
  private void packagedStarts(Params params) throws Exception {
    Path jar = Path.of(System.getProperty("bench.serverJar", "target/gatehouse.jar")).toAbsolutePath();
    Path archive = jar.resolveSibling("gatehouse.jsa");
    if (!Files.isRegularFile(jar) || !Files.isRegularFile(archive)) {
      notes.add("(f) no packaged jar and archive at " + jar.getParent() + ": run ./mvnw package first");
      return;
    }
    Map<String, String> env = new LinkedHashMap<>(System.getenv());
    env.putAll(params.env());
    env.put(Settings.DATABASE_URL, databaseUrl);
    env.put(Settings.SECRET_KEY, secretKey);
    env.put(Settings.DATA_DIR, WORK.resolve("data").toAbsolutePath().toString());
    List<String> launch = List.of("-jar", jar.getFileName().toString());
    List<String> withArchive = new ArrayList<>(jvm);
    withArchive.add("-XX:SharedArchiveFile=" + archive.getFileName());
    // -Xshare:on: a start that cannot use the archive fails here instead of passing for a plain one.
    withArchive.add("-Xshare:on");
    List<double[]> plain = new ArrayList<>();
    List<double[]> cds = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      try (BenchServer s = BenchServer.start("packaged-plain", jvm, launch, env, WORK, jar.getParent())) {
        plain.add(new double[] {s.launchToReadyMs, s.cpuToReadyMs});
        s.stop();
      }
      try (BenchServer s = BenchServer.start("packaged-appcds", withArchive, launch, env, WORK, jar.getParent())) {
        cds.add(new double[] {s.launchToReadyMs, s.cpuToReadyMs});
        s.stop();
      }
    }
    say("packaged jar against the running PostgreSQL, taken turn about (wall ms / CPU ms to ready): plain %s; "
        + "with the AppCDS archive %s; load average now %s", starts(plain), starts(cds), Proc.loadAverage());
    double cdsWall = median(cds, 0);
    figures.put("(f) packaged jar, PostgreSQL running: plain / with the build's AppCDS archive (ms, medians of 5;"
        + " target <= 1000 with the archive)", f0(median(plain, 0)) + " / " + f0(cdsWall));
    figures.put("  the same, CPU time to ready (ms)", f0(median(plain, 1)) + " / " + f0(median(cds, 1)));
    check(cdsWall <= 1000, "(f) packaged start with AppCDS " + f0(cdsWall) + " ms > 1000 ms");
  }

  private static String starts(List<double[]> runs) {
    StringBuilder out = new StringBuilder("[");
    for (double[] run : runs) {
      out.append(out.length() > 1 ? ", " : "").append(f0(run[0])).append('/').append(f0(run[1]));
    }
    return out.append(']').toString();
  }

  private static double median(List<double[]> runs, int column) {
    double[] values = runs.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return values[values.length / 2];
  }

  private void embeddedStarts(Params params) throws Exception {
    Path data = Files.createTempDirectory(WORK.toAbsolutePath(), "embedded-");
    Map<String, String> env = new LinkedHashMap<>(System.getenv());
    env.putAll(params.env());
    env.remove(Settings.DATABASE_URL);
    env.remove(Settings.SECRET_KEY);
    env.put(Settings.DATA_DIR, data.toString());
    double[] ready = new double[2];
    for (int i = 0; i < 2; i++) {
      try (BenchServer s = BenchServer.start("embedded-" + (i == 0 ? "first" : "again"), jvm, serverClasspath, env, WORK)) {
        ready[i] = s.launchToReadyMs;
        say("server %s: ready %.0f ms after launch (it logged %.0f ms)", s.label, s.launchToReadyMs, s.selfReportedMs);
        finish(s);
      }
    }
    figures.put("(f) start to ready, embedded PostgreSQL: first start (initdb) / next start (ms)",
        f0(ready[0]) + " / " + f0(ready[1]));
    try (var files = Files.walk(data)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  // ---------------------------------------------------------------- output

  private void printTable() throws IOException {
    StringBuilder out = new StringBuilder("\n== Results (load average at end: " + Proc.loadAverage() + ")\n");
    int width = figures.keySet().stream().mapToInt(String::length).max().orElse(10);
    figures.forEach((k, v) -> out.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", k, v)));
    for (String note : notes) {
      out.append("  note: ").append(note).append('\n');
    }
    out.append(failures.isEmpty() ? "  every target met\n" : "  targets missed:\n");
    for (String failure : failures) {
      out.append("    - ").append(failure).append('\n');
    }
    System.out.print(out);
    Files.writeString(WORK.resolve("results.txt"), out.toString());
  }

  private void check(boolean ok, String failure) {
    if (!ok) {
      failures.add(failure);
    }
  }

  private static void say(String format, Object... args) {
    System.out.printf(Locale.ROOT, "%s%n", String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T unchecked(Call<T> call) {
    try {
      return call.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String f0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static double dbl(String key, double def) {
    return Double.parseDouble(System.getProperty(key, Double.toString(def)));
  }

  private static int integer(String key, int def) {
    return Integer.parseInt(System.getProperty(key, Integer.toString(def)));
  }
}
