package dev.gatehouse.audit;

import dev.gatehouse.config.Settings;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the user sees in their security log, each event with time, client address and user agent. */
class SecurityLogTest {

  static final String PASSWORD = "correct horse battery staple";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject().put(Settings.TRUSTED_PROXIES, "127.0.0.1")
      .put("GATEHOUSE_PASSWORD_ACCOUNT_LIMIT", 3).put("GATEHOUSE_SUDO_LIMIT", 2), CLOCK);

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
    CLOCK.advance(java.time.Duration.ofSeconds(61));
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
    // Events are recorded beside the answer, not before it: let the last one land.
    long deadline = System.currentTimeMillis() + 5000;
    while (total(browser) < 56) {
      assertTrue(System.currentTimeMillis() < deadline, "56 events never arrived");
    }
    JsonObject first = browser.get("/api/me/security-events").json();
    assertEquals(50, first.getJsonArray("events").size());
    long next = first.getLong("next");
    JsonObject second = browser.get("/api/me/security-events?before=" + next).json();
    assertEquals(6, second.getJsonArray("events").size(), "55 sign-ins and the sign-up");
    assertTrue(second.getJsonArray("events").getJsonObject(0).getLong("id") < next);
  }

  @Test
  void every_factor_event_is_in_the_log_with_address_and_agent() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK); // sign-up, sign-in, setup, enabled
    Browser b = user.browser;
    b.header("X-Forwarded-For", "192.0.2.55");
    assertEquals(200, b.get("/api/me/two-factor/recovery-codes").status());
    assertEquals(200, b.get("/account/recovery-codes.txt").status());
    assertEquals(200, b.get("/account/recovery-codes/print").status());
    Response regenerated = b.post("/api/me/two-factor/recovery-codes", new JsonObject());
    assertEquals(201, regenerated.status());
    List<String> codes = regenerated.json().getJsonArray("codes").stream()
        .map(c -> ((JsonObject) c).getString("code")).toList();
    // Re-configure, started twice.
    assertEquals(201, b.post("/api/me/two-factor/setup", new JsonObject()).status());
    JsonObject again = b.post("/api/me/two-factor/setup", new JsonObject()).json();
    user.key = dev.gatehouse.factor.totp.Base32.decode(again.getString("secret")).orElseThrow();
    user.nextStep();
    assertEquals(200, b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", user.code())).status());
    user.nextStep();

    Browser other = user.pending().header("X-Forwarded-For", "192.0.2.56");
    assertEquals(401, TwoFactorUser.secondStep(other, "code", user.wrongCode()).status());
    assertEquals(200, TwoFactorUser.secondStep(other, "code", user.code()).status());
    user.nextStep();
    Browser third = user.pending().header("X-Forwarded-For", "192.0.2.57");
    Response recovered = TwoFactorUser.secondStep(third, "recoveryCode", codes.get(0));
    assertEquals(200, recovered.status());
    user.sudo(third);
    assertEquals(204, third.delete("/api/me/two-factor").status());

    JsonArray events = third.get("/api/me/security-events").json().getJsonArray("events");
    List<String> types = types(events);
    for (String expected : List.of("account.created", "signin.succeeded", "sudo.granted", "two_factor.setup_started",
        "two_factor.enabled", "recovery_codes.viewed", "recovery_codes.downloaded", "recovery_codes.printed",
        "recovery_codes.regenerated", "two_factor.reconfigured", "signin.second_step_failed", "recovery_code.used",
        "two_factor.disabled")) {
      assertTrue(types.contains(expected), expected + " missing from " + types);
    }
    List<String> methods = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.getJsonObject(i);
      assertNotNull(e.getString("ip"), e.encode());
      assertEquals("GatehouseTest/1.0", e.getString("userAgent"), e.encode());
      assertNotNull(e.getString("at"), e.encode());
      if ("signin.succeeded".equals(e.getString("type"))) {
        methods.add(e.getJsonObject("details").getString("method"));
      }
      if ("recovery_code.used".equals(e.getString("type"))) {
        assertEquals(9, e.getJsonObject("details").getInteger("remaining"));
        assertEquals("192.0.2.57", e.getString("ip"));
      }
    }
    assertTrue(methods.containsAll(List.of("password", "totp", "recovery_code")), methods.toString());
    assertEquals("two_factor.disabled", types.get(0));
  }

  static int total(Browser browser) {
    JsonObject page = browser.get("/api/me/security-events").json();
    int n = page.getJsonArray("events").size();
    while (page.containsKey("next")) {
      page = browser.get("/api/me/security-events?before=" + page.getLong("next")).json();
      n += page.getJsonArray("events").size();
    }
    return n;
  }

  static List<String> types(JsonArray events) {
    List<String> types = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      types.add(events.getJsonObject(i).getString("type"));
    }
    return types;
  }
}
