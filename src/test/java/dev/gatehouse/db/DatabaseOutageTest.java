package dev.gatehouse.db;

import dev.gatehouse.config.Settings;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestPostgres;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Database gone: a quick 503 that loses nothing; back: served again without a restart. */
@ExtendWith(VertxExtension.class)
class DatabaseOutageTest {

  @Test
  void requests_answer_503_within_a_second_while_the_database_is_down_and_recover_after(Vertx vertx) {
    Path dir = TestPostgres.tempDir("gatehouse-outage-pg");
    EmbeddedDatabase db = EmbeddedDatabase.startScratch(dir, 0);
    int port = db.port();
    TestPostgres.execute(db.url("postgres"), "CREATE DATABASE outage");
    try (TestServer server = TestServer.start(vertx, new JsonObject().put(Settings.DATABASE_URL, db.url("outage")))) {
      Browser browser = server.browser();
      String email = Emails.unique("outage");
      assertEquals(201, browser.signUp(email, "correct horse battery").status());
      assertEquals(200, browser.signIn(email, "correct horse battery").status());

      db.close();
      for (String what : new String[] {"sign-up", "sign-in", "me", "ready"}) {
        long start = System.nanoTime();
        Response r = switch (what) {
          case "sign-up" -> browser.signUp(Emails.unique("lost"), "correct horse battery");
          // The attempt budgets live in the database too: no budget, no guess (fail closed).
          case "sign-in" -> server.browser().signIn(email, "correct horse battery");
          case "me" -> browser.get("/api/me");
          default -> browser.get("/health/ready");
        };
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, r.status(), what + ": " + r);
        assertTrue(ms < 1500, what + " took " + ms + " ms");
        assertTrue(r.header("Retry-After") != null, what);
        if (!"ready".equals(what)) {
          assertEquals("database_unavailable", r.code(), what);
        }
      }

      db = EmbeddedDatabase.startScratch(dir, port);
      Response me = browser.get("/api/me");
      assertEquals(200, me.status(), "the session survived and the pool reconnected: " + me);
      assertEquals(200, browser.get("/health/ready").status());
      assertEquals(201, browser.signUp(Emails.unique("back"), "correct horse battery").status());
    } finally {
      db.close();
    }
  }
}
