package dev.gatehouse.cluster;

import dev.gatehouse.config.Settings;
import dev.gatehouse.db.Database;
import dev.gatehouse.load.Cluster;
import dev.gatehouse.load.Cluster.Node;
import dev.gatehouse.load.LoadClient;
import dev.gatehouse.load.LoadTotp;
import dev.gatehouse.load.LoginJourney;
import dev.gatehouse.load.LoginJourney.Request;
import dev.gatehouse.load.Nginx;
import dev.gatehouse.load.SeedUsers;
import dev.gatehouse.load.SeedUsers.SeededUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three Gatehouse nodes (the packaged jar, started as docs/deploy.md starts it) on one PostgreSQL,
 * behind a private Debian nginx doing round robin on loopback, with nginx as the nodes' trusted
 * proxy and the readiness follower of {@link Cluster} (bench/cluster.sh runs the same). Everything
 * goes through nginx, and nginx names the node behind each answer ({@code X-Gatehouse-Upstream}).
 * Shown: enrolling in 2FA and signing in with each request on another node; a code replayed on
 * another node refused; attempt budgets that run out at the count one node gives; sign-ins under
 * load while a node is killed (only its requests in flight fail, no state is lost, it rejoins) and
 * while a node is stopped with SIGTERM (nothing fails).
 *
 * <p>Argon2id runs at m=4 MiB t=1 here so that the test takes a minute on two shared cores;
 * bench/cluster.sh measures at the real parameters.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodesIT {

  static final String PASSWORD = "three nodes, one database";
  static final int GRACE_SECONDS = 3;
  static final Map<String, String> ARGON2 = Map.of(Settings.ARGON2_MEMORY_KIB, "4096", Settings.ARGON2_ITERATIONS, "1");

  static Vertx vertx;
  static Cluster cluster;
  static String databaseUrl;
  static String secretKey;
  static Path work;

  @BeforeAll
  static void start() throws Exception {
    String nginx = Nginx.binary();
    if ("true".equals(System.getenv("CI"))) {
      assertNotNull(nginx, "nginx is not installed (apt-get install -y nginx; .ci/run installs it)");
    }
    assumeTrue(nginx != null, "nginx is not installed (apt-get install -y nginx): skipping the three-node test");
    Path target = Path.of("target");
    for (String part : List.of("gatehouse.jar", "gatehouse.jsa", "webroot")) {
      assertTrue(Files.exists(target.resolve(part)), "target/" + part + " is built by ./mvnw package");
    }
    vertx = Vertx.vertx();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    secretKey = Base64.getEncoder().encodeToString(key);
    databaseUrl = TestPostgres.newDatabase();
    work = TestPostgres.tempDir("gatehouse-cluster");
    Map<String, String> env = new LinkedHashMap<>(ARGON2);
    env.put(Settings.DATABASE_URL, databaseUrl);
    env.put(Settings.SECRET_KEY, secretKey);
    env.put(Settings.DATA_DIR, work.resolve("data").toString());
    env.put("GATEHOUSE_SHUTDOWN_GRACE_SECONDS", Integer.toString(GRACE_SECONDS));
    cluster = Cluster.start(3, target, work, List.of("-Xmx256m", "-XX:+UseG1GC",
        "-XX:SharedArchiveFile=gatehouse.jsa"), env);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The node nginx says answered, and that it is one of ours. */
  static Node landed(Response r, List<Node> trail) {
    String upstream = r.raw().headers().firstValue("X-Gatehouse-Upstream").orElse(null);
    Node node = cluster.servedBy(upstream);
    assertNotNull(node, "nginx names the node behind " + r.raw().request().uri() + ": " + upstream);
    trail.add(node);
    return node;
  }

  @Test
  @Order(1)
  void a_person_enrolls_in_2fa_and_signs_in_with_every_request_on_another_node_and_a_replayed_code_is_refused() {
    List<Node> trail = new ArrayList<>();
    String email = Emails.unique("cluster");
    Browser browser = new Browser(cluster.baseUrl());
    Response r = browser.get("/");
    assertEquals(200, r.status());
    landed(r, trail);
    r = browser.signUp(email, PASSWORD);
    assertEquals(201, r.status(), r.toString());
    landed(r, trail);
    r = browser.signIn(email, PASSWORD);
    assertEquals("signed_in", r.json().getString("state"), r.toString());
    landed(r, trail);
    r = browser.post("/api/me/sudo", new JsonObject().put("password", PASSWORD));
    assertEquals(204, r.status(), r.toString());
    landed(r, trail);
    r = browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, r.status(), r.toString());
    landed(r, trail);
    byte[] secret = LoadTotp.decode(r.json().getString("secret"));
    long step = LoadTotp.currentStep();
    r = browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", LoadTotp.code(secret, step)));
    assertEquals(200, r.status(), r.toString());
    assertTrue(r.json().getBoolean("enabled"), r.toString());
    landed(r, trail);
    r = browser.delete("/api/session");
    assertEquals(204, r.status(), r.toString());
    landed(r, trail);

    // Signing in again: password, then the code of the next step (accepted: one step either way).
    r = browser.get("/signin");
    assertEquals(200, r.status());
    landed(r, trail);
    r = browser.signIn(email, PASSWORD);
    assertEquals("two_factor_required", r.json().getString("state"), r.toString());
    landed(r, trail);
    String code = LoadTotp.code(secret, step + 1);
    r = browser.post("/api/session/two-factor", new JsonObject().put("code", code));
    assertEquals(200, r.status(), r.toString());
    assertEquals("signed_in", r.json().getString("state"), r.toString());
    Node accepted = landed(r, trail);
    r = browser.get("/api/me");
    assertEquals(200, r.status(), r.toString());
    assertEquals(email, r.json().getJsonObject("user").getString("email"));
    assertTrue(r.json().getJsonObject("twoFactor").getBoolean("enabled"), r.toString());
    landed(r, trail);

    for (int i = 1; i < trail.size(); i++) {
      assertNotEquals(trail.get(i - 1), trail.get(i), "request " + (i + 1) + " landed on the node of the one before: "
          + names(trail));
    }
    assertEquals(3, new LinkedHashSet<>(trail).size(), "all three nodes served the journey: " + names(trail));

    // Someone who has the password and saw the code tries it in another browser: it lands on another node.
    Browser thief = new Browser(cluster.baseUrl());
    List<Node> thiefTrail = new ArrayList<>();
    assertEquals(200, thief.get("/").status());
    r = thief.signIn(email, PASSWORD);
    assertEquals("two_factor_required", r.json().getString("state"), r.toString());
    landed(r, thiefTrail);
    r = thief.post("/api/session/two-factor", new JsonObject().put("code", code));
    Node replayedOn = landed(r, thiefTrail);
    assertNotEquals(accepted, replayedOn, "the replay goes to another node than the one that accepted the code");
    assertEquals(401, r.status(), r.toString());
    assertEquals("invalid_code", r.json().getString("code"), r.toString());
    assertEquals("already_used", r.json().getString("reason"), r.toString());
    assertEquals(401, thief.get("/api/me").status(), "the thief is not signed in");
  }

  @Test
  @Order(2)
  void attempt_budgets_run_out_at_the_same_count_through_nginx_as_on_one_node() throws Exception {
    Node one = cluster.node(1);
    // Each client comes from an address of its own on loopback, so that the address budget of one
    // does not spill into another's: behind nginx the node knows the client from X-Forwarded-For.
    String account = Emails.unique("budget");
    String otherAccount = Emails.unique("budget");
    Browser signup = new Browser(cluster.baseUrl());
    assertEquals(201, signup.signUp(account, PASSWORD).status());
    assertEquals(201, signup.signUp(otherAccount, PASSWORD).status());

    Set<Node> nodesSeen = new LinkedHashSet<>();
    int throughNginx = attemptsUntil429(cluster.baseUrl(), "127.0.0.11", i -> account, nodesSeen);
    int onOneNode = attemptsUntil429(one.baseUrl(), "127.0.0.12", i -> otherAccount, new LinkedHashSet<>());
    assertEquals(onOneNode, throughNginx, "the per-account budget runs out at the same attempt");
    assertEquals(3, nodesSeen.size(), "the attempts were spread over the three nodes");

    nodesSeen.clear();
    String run = Long.toString(System.nanoTime(), 36);
    int addressThroughNginx = attemptsUntil429(cluster.baseUrl(), "127.0.0.13", i -> "a" + run + i + "@example.com",
        nodesSeen);
    int addressOnOneNode = attemptsUntil429(one.baseUrl(), "127.0.0.14", i -> "b" + run + i + "@example.com",
        new LinkedHashSet<>());
    assertEquals(addressOnOneNode, addressThroughNginx, "the per-address budget runs out at the same attempt");
    assertTrue(addressThroughNginx > throughNginx, "that was the address budget, not an account's");
    assertEquals(3, nodesSeen.size());

    // The address budget is the client's, not nginx's: another client behind the same nginx is not blocked.
    try (LoadClient other = new LoadClient(vertx, "127.0.0.1", cluster.nginx().port, 4, false, "127.0.0.15")) {
      LoadClient.Browser b = new LoadClient.Browser();
      assertEquals(200, other.await(v -> other.get(b, "/"), 30).status());
      LoadClient.Answer answer = other.await(v -> other.post(b, "/api/session",
          new JsonObject().put("email", "c" + run + "@example.com").put("password", "wrong password")), 30);
      assertEquals(401, answer.status(), answer.json().encode());
    }
  }

  /** Wrong passwords from {@code fromAddress} until a 429; answers the attempt that got it. */
  static int attemptsUntil429(String base, String fromAddress, java.util.function.IntFunction<String> email,
                              Set<Node> nodesSeen) throws Exception {
    java.net.URI uri = java.net.URI.create(base);
    try (LoadClient client = new LoadClient(vertx, uri.getHost(), uri.getPort(), 4, false, fromAddress)) {
      LoadClient.Browser browser = new LoadClient.Browser();
      assertEquals(200, client.await(v -> client.get(browser, "/"), 30).status());
      for (int attempt = 1; attempt <= 200; attempt++) {
        int i = attempt;
        LoadClient.Answer answer = client.await(v -> client.post(browser, "/api/session",
            new JsonObject().put("email", email.apply(i)).put("password", "not the password " + i)), 60);
        Node node = cluster.servedBy(answer.upstream());
        if (node != null) {
          nodesSeen.add(node);
        }
        if (answer.status() == 429) {
          assertEquals("too_many_attempts", answer.json().getString("code"));
          assertNotNull(answer.retryAfter(), "429 carries Retry-After");
          return attempt;
        }
        assertEquals(401, answer.status(), "attempt " + attempt + ": " + answer.json().encode());
      }
      throw new AssertionError("no 429 in 200 wrong passwords from " + fromAddress);
    }
  }

  @Test
  @Order(3)
  void under_load_a_killed_node_fails_only_its_requests_in_flight_loses_no_state_and_rejoins_when_restarted()
      throws Exception {
    Node victim = cluster.node(3);
    List<SeededUser> loadUsers = seed("kill", 300);
    List<SeededUser> stateUsers = seed("state", 6);
    try (LoadClient client = new LoadClient(vertx, "127.0.0.1", cluster.nginx().port, 64, false, null)) {
      // Sign-in state made on the node about to die: sessions signed in there, sign-ins half way through there.
      List<LoadClient.Browser> signedInThere = new ArrayList<>();
      List<LoadClient.Browser> pendingThere = new ArrayList<>();
      List<SeededUser> pendingUsers = new ArrayList<>();
      for (int i = 0; i < stateUsers.size(); i++) {
        SeededUser user = stateUsers.get(i);
        LoadClient.Browser b = new LoadClient.Browser();
        client.await(v -> client.get(b, "/"), 30);
        if (i % 2 == 0) {
          aimAt(client, victim);
          LoadClient.Answer password = client.await(v -> client.post(b, "/api/session",
              new JsonObject().put("email", user.email()).put("password", user.password())), 30);
          assertEquals(200, password.status(), password.json().encode());
          assertEquals(victim, cluster.servedBy(password.upstream()), "round robin reached it");
          pendingThere.add(b);
          pendingUsers.add(user);
        } else {
          LoadClient.Answer password = client.await(v -> client.post(b, "/api/session",
              new JsonObject().put("email", user.email()).put("password", user.password())), 30);
          assertEquals(200, password.status(), password.json().encode());
          aimAt(client, victim);
          LoadClient.Answer done = client.await(v -> client.post(b, "/api/session/two-factor",
              new JsonObject().put("code", LoadTotp.now(user.totpSecret()))), 30);
          assertEquals(200, done.status(), done.json().encode());
          assertEquals(victim, cluster.servedBy(done.upstream()), "round robin reached it");
          signedInThere.add(b);
        }
      }

      LoginJourney journey = new LoginJourney(client, loadUsers);
      double rate = 5;
      double seconds = 24;
      CompletableFuture<LoadClient.Run> load = CompletableFuture.supplyAsync(() -> {
        try {
          return client.openLoop(rate, seconds, journey::run);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(6_000);
      long killed = System.nanoTime();
      victim.process().destroyForcibly(); // SIGKILL
      assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
      long dead = System.nanoTime(); // a request sent between the signal and the death was in flight there too
      cluster.awaitInNginx(victim, false, Duration.ofSeconds(10));
      Thread.sleep(3_000);
      cluster.restart(victim);
      cluster.awaitInNginx(victim, true, Duration.ofSeconds(10));
      long rejoined = System.nanoTime();
      LoadClient.Run run = load.get(3, TimeUnit.MINUTES);

      List<Request> requests = new ArrayList<>(journey.requests);
      List<Request> failed = requests.stream().filter(r -> r.failed(200)).toList();
      for (Request r : failed) {
        boolean onVictim = r.upstream() != null && r.upstream().contains(victim.address());
        boolean inFlight = r.sentNanos() < dead && r.doneNanos() > killed;
        assertTrue(onVictim && inFlight, "only requests in flight on the killed node may fail; this one did not qualify: "
            + r + " (killed at " + killed + ")\nall failures: " + failed);
      }
      long afterRejoin = requests.stream().filter(r -> r.sentNanos() > rejoined && cluster.servedBy(r.upstream()) == victim)
          .count();
      // It serves again: round robin reaches it within three requests (nothing else is sent now).
      Set<Node> after = new LinkedHashSet<>();
      for (int i = 0; i < 3; i++) {
        LoadClient.Answer page = client.await(v -> client.get(null, "/"), 30);
        assertEquals(200, page.status());
        after.add(cluster.servedBy(page.upstream()));
      }
      assertTrue(after.contains(victim), "the restarted node serves again: " + after);
      assertTrue(requests.size() >= rate * seconds * 2, "the load ran: " + summary(requests) + "; " + run.statusSummary());

      // No sign-in state lost: what was made on the dead node is used through the others.
      for (LoadClient.Browser b : signedInThere) {
        assertEquals(200, client.await(v -> client.get(b, "/api/me"), 30).status(), "still signed in");
      }
      for (int i = 0; i < pendingThere.size(); i++) {
        LoadClient.Browser b = pendingThere.get(i);
        SeededUser user = pendingUsers.get(i);
        LoadClient.Answer done = client.await(v -> client.post(b, "/api/session/two-factor",
            new JsonObject().put("code", LoadTotp.now(user.totpSecret()))), 30);
        assertEquals(200, done.status(), "a sign-in half way through on the killed node finishes on "
            + done.upstream() + ": " + done.json().encode());
        assertEquals(200, client.await(v -> client.get(b, "/api/me"), 30).status());
      }
      List<LoginJourney.Done> signedIn = journey.done.stream().filter(LoginJourney.Done::signedIn).toList();
      for (LoginJourney.Done d : signedIn) {
        assertEquals(200, client.await(v -> client.get(d.browser(), "/api/me"), 30).status(),
            "signed in during the load, still signed in after it: " + d.user().email());
      }
      System.out.printf("kill: %d requests, %d failed (in flight on %s), %d journeys signed in, %d requests on it after it"
              + " rejoined; follower: %s%n", requests.size(), failed.size(), victim.name(), signedIn.size(), afterRejoin,
          cluster.changes());
    }
  }

  @Test
  @Order(4)
  void under_load_a_node_stopped_with_sigterm_drains_with_no_failed_request() throws Exception {
    Node leaving = cluster.node(2);
    List<SeededUser> loadUsers = seed("term", 300);
    try (LoadClient client = new LoadClient(vertx, "127.0.0.1", cluster.nginx().port, 64, false, null)) {
      LoginJourney journey = new LoginJourney(client, loadUsers);
      double rate = 5;
      double seconds = 14;
      CompletableFuture<LoadClient.Run> load = CompletableFuture.supplyAsync(() -> {
        try {
          return client.openLoop(rate, seconds, journey::run);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(4_000);
      long sigterm = System.nanoTime();
      Process process = leaving.process();
      process.destroy(); // SIGTERM, as systemd stops it
      cluster.awaitInNginx(leaving, false, Duration.ofSeconds(GRACE_SECONDS));
      long takenOut = System.nanoTime();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the node exits");
      long exited = System.nanoTime();
      assertEquals(0, process.exitValue(), "a clean exit");
      LoadClient.Run run = load.get(3, TimeUnit.MINUTES);

      List<Request> requests = new ArrayList<>(journey.requests);
      List<Request> failed = requests.stream().filter(r -> r.failed(200)).toList();
      assertEquals(List.of(), failed, "no request fails while a node drains: " + summary(requests));
      assertEquals(Math.round(rate * seconds), run.count(200), "every sign-in of the run finished: " + run.statusSummary());
      assertTrue(requests.stream().anyMatch(r -> r.sentNanos() < sigterm && cluster.servedBy(r.upstream()) == leaving),
          "the node served before SIGTERM");
      assertTrue(requests.stream().noneMatch(r -> r.sentNanos() > exited && r.upstream() != null
          && r.upstream().contains(leaving.address())), "nothing is sent to it once it is gone");
      assertTrue(requests.stream().anyMatch(r -> r.sentNanos() > exited), "the others kept serving");
      String log = Files.readString(leaving.server().log);
      assertTrue(log.contains("SIGTERM: draining"), log);
      System.out.printf("sigterm: %d requests, none failed; taken out of nginx %d ms after SIGTERM, exited after %d ms%n",
          requests.size(), (takenOut - sigterm) / 1_000_000, (exited - sigterm) / 1_000_000);
    }
  }

  static List<SeededUser> seed(String prefix, int count) throws Exception {
    Pool pool = Database.connect(vertx, databaseUrl, 2);
    try {
      JsonObject config = Settings.defaults().put(Settings.SECRET_KEY, secretKey)
          .put(Settings.DATA_DIR, work.resolve("data").toString());
      ARGON2.forEach((k, v) -> config.put(k, Integer.parseInt(v)));
      return SeedUsers.seed(vertx, pool, Settings.from(config), new SeedUsers.Options(count, prefix,
          SeedUsers.DEFAULT_PASSWORD, true, true, work.resolve(prefix + ".csv"))).await(2, TimeUnit.MINUTES);
    } finally {
      pool.close();
    }
  }

  /**
   * Round robin takes the nodes in their order: page views until one lands on the node before
   * {@code target}, so that this client's next request (nobody else sends any now) lands on it.
   */
  static void aimAt(LoadClient client, Node target) throws Exception {
    int before = (target.index + 1) % 3 + 1;
    for (int i = 0; i < 6; i++) {
      LoadClient.Answer page = client.await(v -> client.get(null, "/"), 30);
      if (cluster.servedBy(page.upstream()) == cluster.node(before)) {
        return;
      }
    }
    throw new AssertionError("round robin never reached node" + before);
  }

  static String names(List<Node> trail) {
    return trail.stream().map(Node::name).collect(Collectors.joining(" → "));
  }

  static String summary(List<Request> requests) {
    Map<String, Long> by = requests.stream().collect(Collectors.groupingBy(
        r -> r.name() + " " + r.status() + " " + (cluster.servedBy(r.upstream()) == null ? r.upstream()
            : cluster.servedBy(r.upstream()).name()), java.util.TreeMap::new, Collectors.counting()));
    return by.toString();
  }

}
