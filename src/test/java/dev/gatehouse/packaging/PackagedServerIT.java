package dev.gatehouse.packaging;

import dev.gatehouse.load.BenchServer;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Scrape;
import dev.gatehouse.support.TestPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code ./mvnw package} hands an operator (docs/deploy.md): the jar, the AppCDS archive and
 * the web app, copied elsewhere as a deployment copies them (times kept), started with
 * {@code java -Xshare:on -XX:SharedArchiveFile=gatehouse.jsa -jar gatehouse.jar} against a running
 * PostgreSQL. -Xshare:on makes the JVM refuse to start unless the archive matches the jars it runs.
 */
class PackagedServerIT {

  static final Path TARGET = Path.of("target");

  @Test
  void the_packaged_server_starts_from_a_copy_with_its_archive_serves_and_stops_cleanly() throws Exception {
    Path install = TestPostgres.tempDir("gatehouse-install");
    for (String part : List.of("gatehouse.jar", "gatehouse.jsa", "webroot")) {
      assertTrue(Files.exists(TARGET.resolve(part)), "target/" + part + " is built by ./mvnw package");
      copy(TARGET.resolve(part), install.resolve(part));
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Map<String, String> env = Map.of(
        "GATEHOUSE_DATABASE_URL", TestPostgres.newDatabase(),
        "GATEHOUSE_SECRET_KEY", Base64.getEncoder().encodeToString(key),
        "GATEHOUSE_DATA_DIR", install.resolve("data").toString());
    BenchServer server = BenchServer.start("packaged", List.of("-Xmx256m", "-Xshare:on",
        "-XX:SharedArchiveFile=gatehouse.jsa"), List.of("-jar", "gatehouse.jar"), env, install, install);
    try {
      Browser b = new Browser(server.baseUrl());
      assertEquals(200, b.get("/").status(), "the web app is served from the copy's webroot");
      assertTrue(b.get("/").body().contains("<html"), "the web app's page");
      assertEquals(201, b.signUp("packaged@example.com", "packaged server password").status());
      assertEquals(200, b.signIn("packaged@example.com", "packaged server password").status());
      Scrape scrape = Scrape.of(server.managementUrl());
      assertEquals(1, scrape.value("gatehouse_sign_ins_total", "method", "password", "outcome", "signed_in"));
      assertTrue(scrape.has("vertx_http_server_requests_total"), "Vert.x's meters, as Main builds it");

      server.stop();
      assertTrue(server.process.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, server.process.exitValue());
      String log = Files.readString(server.log);
      assertTrue(log.contains("Gatehouse ready on") && log.contains("(external database)"), log);
      assertFalse(log.contains("[warning][cds]") || log.contains("[error][cds]"), log);
    } finally {
      server.process.destroyForcibly();
    }
  }

  /** A copy that keeps modification times: an AppCDS archive checks the jar's size and time. */
  private static void copy(Path from, Path to) throws IOException {
    if (!Files.isDirectory(from)) {
      Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
      return;
    }
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
