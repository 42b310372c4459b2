package dev.gatehouse.load;

import dev.gatehouse.support.Browser;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The AppCDS training run of {@code ./mvnw package} (docs/deploy.md, "Start-up and the AppCDS
 * archive"): starts the packaged jar with {@code -XX:ArchiveClassesAtExit} on a fresh embedded
 * PostgreSQL, walks the journey a deployment sees at start and in its first minutes (health checks,
 * the web app, sign-up, sign-in, 2FA setup and the second step, a refusal, a scrape) and stops it
 * with SIGTERM. The JVM writes every class it loaded to the archive as it exits; later starts map
 * them instead of loading and verifying them again.
 *
 * <p>Arguments: the jar, the archive to write (beside the jar), a working directory for the data and
 * the log. The archive then serves {@code java -XX:SharedArchiveFile=gatehouse.jsa -jar gatehouse.jar}
 * started in the jar's directory, or in a copy of it that kept the files' times.
 */
public final class AppCdsTraining {

  private AppCdsTraining() {
  }

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]).toAbsolutePath();
    Path archive = Path.of(args[1]).toAbsolutePath();
    Path work = Path.of(args[2]).toAbsolutePath();
    deleteTree(work);
    Files.createDirectories(work);
    Files.deleteIfExists(archive);
    long t0 = System.nanoTime();
    // Run from the jar's directory with relative paths: the archive records the class path as given,
    // and a relative entry lets it follow the jar and itself to wherever they are installed.
    BenchServer server = BenchServer.start("appcds-training",
        List.of("-XX:ArchiveClassesAtExit=" + jar.getParent().relativize(archive), "-Xlog:cds=warning"),
        List.of("-jar", jar.getFileName().toString()), Map.of("GATEHOUSE_DATA_DIR", work.resolve("data").toString()),
        work, jar.getParent());
    int requests;
    try {
      requests = journey(server);
    } finally {
      double stopped = server.stop();
      if (Double.isNaN(stopped) || server.process.exitValue() != 0) {
        throw new IllegalStateException("the training server did not stop cleanly; see " + server.log);
      }
    }
    if (!Files.isRegularFile(archive)) {
      throw new IllegalStateException("no AppCDS archive was written; see " + server.log);
    }
    System.out.printf("[appcds] %s: %.1f MiB, from a training run of %d requests in %.1f s (log: %s)%n", archive,
        Files.size(archive) / 1048576.0, requests, (System.nanoTime() - t0) / 1e9, server.log);
  }

  /** A person's first visit to the end of their second sign-in with 2FA, and what operators poll meanwhile. */
  private static int journey(BenchServer server) {
    List<Integer> statuses = new ArrayList<>();
    Browser b = new Browser(server.baseUrl());
    String email = "training-" + System.nanoTime() + "@example.com";
    String password = "appcds training password";
    statuses.add(b.get("/").status());
    statuses.add(b.get("/js/main.js").status());
    statuses.add(b.get("/css/app.css").status());
    statuses.add(b.get("/health/live").status());
    statuses.add(b.post("/api/accounts", new JsonObject().put("email", email).put("password", password)
        .put("name", "Training")).status());
    statuses.add(b.signIn(email, "not the password").status());
    statuses.add(b.signIn(email, password).status());
    statuses.add(b.get("/api/me").status());
    statuses.add(b.get("/api/me/security-events").status());
    statuses.add(b.post("/api/me/sudo", new JsonObject().put("password", password)).status());
    JsonObject setup = b.post("/api/me/two-factor/setup", new JsonObject()).json();
    statuses.add(b.get("/api/me/two-factor/setup/qr.png").status());
    byte[] key = LoadTotp.decode(setup.getString("secret"));
    long step = LoadTotp.currentStep();
    statuses.add(b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", LoadTotp.code(key, step)))
        .status());
    statuses.add(b.get("/api/me/two-factor/recovery-codes").status());
    statuses.add(b.delete("/api/session").status());
    statuses.add(b.signIn(email, password).status());
    // The next step's code: the window accepts it, and the step of the confirmation is spent.
    statuses.add(b.post("/api/session/two-factor", new JsonObject().put("code", LoadTotp.code(key, step + 1)))
        .status());
    statuses.add(b.get("/api/sso/discover?email=someone@example.org").status());
    statuses.add(b.get("/api/nothing-here").status());
    statuses.add(get(server.managementUrl() + "/metrics"));
    statuses.add(get(server.managementUrl() + "/health/ready"));
    List<Integer> expected = List.of(200, 200, 200, 200, 201, 401, 200, 200, 200, 204, 200, 200, 200, 204, 200, 200,
        404, 404, 200, 200);
    if (!statuses.equals(expected)) {
      throw new IllegalStateException("the training journey went wrong: " + statuses + ", expected " + expected
          + "; see " + server.log);
    }
    return statuses.size();
  }

  private static int get(String url) {
    try {
      // HTTP/1.1, as Prometheus and load balancers ask.
      return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
          .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new IllegalStateException(url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
