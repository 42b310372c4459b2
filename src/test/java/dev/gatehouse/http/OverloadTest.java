package dev.gatehouse.http;

import dev.gatehouse.config.Settings;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.Scrape;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Past saturation the password step answers 503 + Retry-After instead of queueing without limit. */
@ExtendWith(VertxExtension.class)
class OverloadTest {

  @Test
  void a_full_hash_queue_answers_503_with_retry_after(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, new JsonObject()
        .put(Settings.HASH_THREADS, 1).put(Settings.HASH_QUEUE, 1)
        // 16 parallel sign-ins of one account would otherwise meet its attempt budget (charged before the check).
        .put("GATEHOUSE_PASSWORD_ACCOUNT_LIMIT", 100))) {
      String email = Emails.unique("busy");
      assertEquals(201, server.browser().signUp(email, "correct horse battery").status());
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<CompletableFuture<Response>> all = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        all.add(CompletableFuture.supplyAsync(() -> server.browser().signIn(email, "correct horse battery"), pool));
      }
      int ok = 0;
      int busy = 0;
      for (CompletableFuture<Response> f : all) {
        Response r = f.get();
        if (r.status() == 200) {
          ok++;
        } else {
          assertEquals(503, r.status(), r.toString());
          assertEquals("overloaded", r.code());
          assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1);
          busy++;
        }
      }
      pool.shutdown();
      assertTrue(ok >= 1, "some got through");
      assertTrue(busy >= 1, "some were turned away rather than queued: ok=" + ok);
      // What the operator's dashboard shows: every refusal counted, by the hasher and as a 503.
      Scrape scrape = Scrape.of(server.managementUrl());
      assertEquals(busy, scrape.value("gatehouse_hash_rejections_total"));
      assertEquals(busy, scrape.value("gatehouse_problems_total", "status", "503", "code", "overloaded"));
      assertEquals(busy, scrape.value("gatehouse_sign_ins_total", "method", "password", "outcome", "overloaded"));
      assertEquals(1, scrape.value("gatehouse_hash_queue_capacity"));
    }
  }
}
