package dev.gatehouse;

import dev.gatehouse.load.BenchServer;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.TestPostgres;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM as a service manager sends it, to a real server process (dev.gatehouse.Main): readiness
 * turns 503 at once on both listeners while requests are still served for the grace period, then
 * the listener closes, the request in flight still gets its answer, and the process exits 0. The
 * process logs in JSON, so this also shows GATEHOUSE_LOG_FORMAT=json on standard output.
 */
class GracefulShutdownTest {

  static final int GRACE_SECONDS = 2;

  @Test
  void sigterm_turns_readiness_503_keeps_serving_for_the_grace_period_then_finishes_what_is_in_flight()
      throws Exception {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path work = TestPostgres.tempDir("gatehouse-drain");
    Map<String, String> env = Map.of(
        "GATEHOUSE_DATABASE_URL", TestPostgres.newDatabase(),
        "GATEHOUSE_SECRET_KEY", Base64.getEncoder().encodeToString(key),
        "GATEHOUSE_DATA_DIR", work.resolve("data").toString(),
        "GATEHOUSE_SHUTDOWN_GRACE_SECONDS", Integer.toString(GRACE_SECONDS),
        "GATEHOUSE_LOG_FORMAT", "json",
        // A password check slow enough to still be running when the listener closes: about 5 s on a
        // quiet machine (the grace period is 2 s; a busy machine only makes it slower).
        "GATEHOUSE_ARGON2_MEMORY_KIB", "65536",
        "GATEHOUSE_ARGON2_ITERATIONS", "100",
        "GATEHOUSE_HASH_THREADS", "1");
    BenchServer server = BenchServer.start("drain", List.of("-Xmx256m"),
        BenchServer.fromClasspath(System.getProperty("java.class.path")), env, work);
    try {
      assertEquals(200, get(server.baseUrl() + "/health/ready"));
      assertEquals(200, get(server.managementUrl() + "/health/ready"));

      // The CSRF cookie, as the web app has it.
      Browser browser = new Browser(server.baseUrl());
      assertEquals(200, browser.get("/").status());

      long sigterm = System.nanoTime();
      server.process.destroy();
      long notReady = waitFor(() -> get(server.baseUrl() + "/health/ready") == 503, Duration.ofSeconds(5));
      assertTrue(notReady - sigterm < TimeUnit.SECONDS.toNanos(GRACE_SECONDS),
          "readiness turned 503 only after " + (notReady - sigterm) / 1_000_000 + " ms");
      assertEquals(503, get(server.managementUrl() + "/health/ready"), "the management listener says so too");

      // In flight across the close: a password step (an unknown email is checked against the dummy hash),
      // written by hand as nginx sends it upstream, on a connection opened during the grace period.
      String body = new JsonObject().put("email", "nobody@example.com").put("password", "some password").encode();
      String token = browser.cookie("XSRF-TOKEN").orElseThrow();
      CompletableFuture<String> inFlight = exchange(server.port, "POST /api/session HTTP/1.1\r\n"
          + "Host: 127.0.0.1:" + server.port + "\r\nContent-Type: application/json\r\n"
          + "Cookie: XSRF-TOKEN=" + token + "; gatehouse=" + browser.sessionId() + "\r\n"
          + "X-XSRF-TOKEN: " + token + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
      CompletableFuture<Long> answered = inFlight.thenApply(r -> System.nanoTime());
      // Still serving while the load balancer takes the node out.
      assertEquals(200, get(server.baseUrl() + "/health/live"));
      assertEquals(200, get(server.baseUrl() + "/"));

      long refused = waitFor(() -> !accepts(server.port), Duration.ofSeconds(30));
      assertTrue(refused - sigterm >= TimeUnit.SECONDS.toNanos(GRACE_SECONDS) - TimeUnit.MILLISECONDS.toNanos(100),
          "the listener closed " + (refused - sigterm) / 1_000_000 + " ms after SIGTERM, before the grace period");
      String response = inFlight.get(60, TimeUnit.SECONDS);
      assertTrue(response.startsWith("HTTP/1.1 401 "), response);
      assertTrue(response.contains("\"code\":\"invalid_credentials\""), response);
      assertTrue(answered.get() > refused, "the request was still in flight when the listener closed");
      assertTrue(server.process.waitFor(60, TimeUnit.SECONDS), "the process exits");
      assertEquals(0, server.process.exitValue());

      List<String> log = Files.readAllLines(server.log).stream().filter(l -> !l.isBlank()).toList();
      for (String line : log) {
        new JsonObject(line); // fails on anything but one JSON object per line
      }
      assertTrue(log.stream().anyMatch(l -> l.contains("SIGTERM: draining")), String.join("\n", log));
      assertTrue(log.stream().anyMatch(l -> l.contains("\"loggerName\":\"dev.gatehouse.access\"")
          && l.contains("\"status\":\"401\"")), "the in-flight request is in the JSON access log");
    } finally {
      server.process.destroyForcibly();
    }
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  /** Polls until {@code check} holds; answers System.nanoTime() at that moment. */
  private static long waitFor(Check check, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (check.ok()) {
        return System.nanoTime();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("not within " + timeout);
  }

  /** One request on a new connection (so a closed listener shows), -1 when it cannot connect. */
  private static int get(String url) throws InterruptedException {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Sends {@code request} on a new connection and reads the whole answer, on a thread of its own. */
  private static CompletableFuture<String> exchange(int port, String request) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(60_000);
    socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
    CompletableFuture<String> answer = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (socket) {
        answer.complete(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        answer.completeExceptionally(e);
      }
    }, "in-flight");
    reader.start();
    return answer;
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
