package dev.gatehouse.load;

import dev.gatehouse.db.Database;
import dev.gatehouse.load.SeedUsers.Options;
import dev.gatehouse.load.SeedUsers.SeededUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load-test tools keep working as the server changes: seeded users really sign in. */
@ExtendWith(VertxExtension.class)
class LoadToolsTest {

  @Test
  void a_seeded_user_signs_in_with_the_known_password_and_a_code_the_load_tools_compute(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx)) {
      Pool pool = Database.connect(vertx, server.databaseUrl(), 2);
      List<SeededUser> users = SeedUsers.seed(vertx, pool, server.app().settings(),
          new Options(3, "seeded", SeedUsers.DEFAULT_PASSWORD, true, false, null)).await(60, TimeUnit.SECONDS);
      // Seeding again re-keys the same users instead of adding more.
      List<SeededUser> again = SeedUsers.seed(vertx, pool, server.app().settings(),
          new Options(3, "seeded", SeedUsers.DEFAULT_PASSWORD, true, false, null)).await(60, TimeUnit.SECONDS);
      assertEquals(users.get(2).id(), again.get(2).id());
      pool.close();

      SeededUser user = again.get(2);
      Browser browser = server.browser();
      Response password = browser.signIn(user.email(), user.password());
      assertEquals(200, password.status(), password.toString());
      assertEquals("two_factor_required", password.json().getString("state"));
      Response code = browser.post("/api/session/two-factor", new JsonObject().put("code", LoadTotp.now(user.totpSecret())));
      assertEquals(200, code.status(), code.toString());
      assertEquals("signed_in", code.json().getString("state"));
    }
  }

  @Test
  void seeding_refuses_a_database_that_holds_real_users_unless_forced(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx)) {
      assertEquals(201, server.browser().signUp(Emails.unique("real"), "correct horse battery").status());
      Pool pool = Database.connect(vertx, server.databaseUrl(), 2);
      Exception refused = assertThrows(Exception.class, () -> SeedUsers.seed(vertx, pool, server.app().settings(),
          new Options(2, "user", SeedUsers.DEFAULT_PASSWORD, false, false, null)).await(60, TimeUnit.SECONDS));
      assertTrue(refused.getMessage().contains("--force"), refused.getMessage());
      assertEquals(2, SeedUsers.seed(vertx, pool, server.app().settings(),
          new Options(2, "user", SeedUsers.DEFAULT_PASSWORD, false, true, null)).await(60, TimeUnit.SECONDS).size());
      pool.close();
    }
  }

  @Test
  void the_measurement_routes_exist_only_on_the_benchmark_server(Vertx vertx) {
    // docs/security.md 43: the routes are test classes; the main classes (what a production jar holds) have none.
    assertTrue(java.nio.file.Files.exists(java.nio.file.Path.of("target/classes/dev/gatehouse/Main.class")));
    assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of("target/classes/dev/gatehouse/load")));
    try (TestServer plain = TestServer.start(vertx)) {
      // Without the flag it is just a deep link of the web app (the SPA fallback), not the measurement route.
      Response page = plain.browser().get("/bench/stats");
      assertTrue(page.header("Content-Type").startsWith("text/html"), page.toString());
      assertEquals(403, plain.browser().withoutCsrf().post("/bench/floor?user=x&step=1", null).status());
    }
    try (TestServer bench = TestServer.start(vertx, new JsonObject(), java.time.Clock.systemUTC(), BenchRoutes.extras())) {
      Response stats = bench.browser().get("/bench/stats");
      assertEquals(200, stats.status());
      assertTrue(stats.json().containsKey("sessions"));
    }
  }

  @Test
  void the_load_tools_totp_matches_rfc_6238() {
    // RFC 6238 Appendix B, SHA1, the last 6 of the 8 digits: 59 s -> 94287082, 1111111109 s -> 07081804.
    byte[] key = "12345678901234567890".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertEquals("287082", LoadTotp.code(key, 59 / 30));
    assertEquals("081804", LoadTotp.code(key, 1111111109L / 30));
    assertEquals("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", LoadTotp.encode(key));
    assertEquals(new String(key, java.nio.charset.StandardCharsets.US_ASCII),
        new String(LoadTotp.decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), java.nio.charset.StandardCharsets.US_ASCII));
  }
}
