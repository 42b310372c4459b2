package dev.gatehouse.audit;

import dev.gatehouse.Settings;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the user sees in their security log, each event with time, client address and user agent. */
@ExtendWith(VertxExtension.class)
class SecurityLogTest {

  static final String PASSWORD = "correct horse battery staple";
  static TestServer server;

  @BeforeAll
  static void start(Vertx vertx) {
    server = TestServer.start(vertx, new JsonObject().put(Settings.TRUSTED_PROXIES, "127.0.0.1")
        .put("GATEHOUSE_PASSWORD_ACCOUNT_LIMIT", 3).put("GATEHOUSE_SUDO_LIMIT", 2));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void password_sign_ins_failures_and_lockouts_are_in_the_log_with_address_and_agent() {
    String email = Emails.unique("log");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    Browser attacker = server.browser().header("X-Forwarded-For", "203.0.113.9");
    assertEquals(401, attacker.signIn(email, "guess one").status());
    assertEquals(401, attacker.signIn(email, "guess two").status());
    assertEquals(429, attacker.signIn(email, "guess three").status());

    Browser owner = server.browser().header("X-Forwarded-For", "192.0.2.44");
    Response blocked = owner.signIn(email, PASSWORD);
    assertEquals(429, blocked.status());
    server.app().pool().query("UPDATE attempt_budgets SET blocked_until = now() - interval '1 second'").execute()
        .await();
    assertEquals(200, owner.signIn(email, PASSWORD).status());

    JsonArray events = owner.get("/api/me/security-events").json().getJsonArray("events");
    List<String> types = types(events);
    // Recorded as they happen on several connections: the order of the lock and the third failure may vary.
    assertEquals("signin.succeeded", types.get(0));
    assertEquals(List.of("account.created", "signin.locked", "signin.password_failed", "signin.password_failed",
        "signin.password_failed"), types.subList(1, types.size()).stream().sorted().toList());
    JsonObject signedIn = events.getJsonObject(0);
    assertEquals("password", signedIn.getJsonObject("details").getString("method"));
    assertEquals("192.0.2.44", signedIn.getString("ip"));
    assertEquals("GatehouseTest/1.0", signedIn.getString("userAgent"));
    assertNotNull(signedIn.getString("at"));
    JsonObject locked = events.getJsonObject(types.indexOf("signin.locked"));
    assertEquals("203.0.113.9", locked.getString("ip"));
    assertEquals("password", locked.getJsonObject("details").getString("budget"));
    assertEquals(60, locked.getJsonObject("details").getInteger("retryAfter"));
  }

  @Test
  void guessing_the_password_for_sudo_with_a_stolen_session_is_budgeted_and_logged() {
    String email = Emails.unique("sudo");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    Browser thief = server.browser().header("X-Forwarded-For", "203.0.113.10");
    assertEquals(200, thief.signIn(email, PASSWORD).status());
    Response first = thief.post("/api/me/sudo", new JsonObject().put("password", "guess one"));
    assertEquals(401, first.status());
    assertEquals("invalid_password", first.code());
    Response second = thief.post("/api/me/sudo", new JsonObject().put("password", "guess two"));
    assertEquals(429, second.status());
    assertEquals("300", second.header("Retry-After"));
    assertEquals(429, thief.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)).status(),
        "blocked: even the right password");
    JsonObject locked = thief.get("/api/me/security-events").json().getJsonArray("events").getJsonObject(0);
    assertEquals("signin.locked", locked.getString("type"));
    assertEquals("sudo", locked.getJsonObject("details").getString("budget"));
  }

  @Test
  void the_log_pages_newest_first() {
    String email = Emails.unique("pages");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    Browser browser = server.browser().header("X-Forwarded-For", "192.0.2.99");
    for (int i = 0; i < 55; i++) {
      assertEquals(200, browser.signIn(email, PASSWORD).status());
    }
    JsonObject first = browser.get("/api/me/security-events").json();
    assertEquals(50, first.getJsonArray("events").size());
    long next = first.getLong("next");
    JsonObject second = browser.get("/api/me/security-events?before=" + next).json();
    assertEquals(6, second.getJsonArray("events").size(), "55 sign-ins and the sign-up");
    assertTrue(second.getJsonArray("events").getJsonObject(0).getLong("id") < next);
  }

  static List<String> types(JsonArray events) {
    List<String> types = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      types.add(events.getJsonObject(i).getString("type"));
    }
    return types;
  }
}
