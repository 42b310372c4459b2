package dev.gatehouse.attacks;

import dev.gatehouse.config.Settings;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 7: the smaller holes around the server, each as an attacker would use it
 * (docs/security.md 40, 41). The test client plays the trusted proxy (127.0.0.1).
 */
@ExtendWith(VertxExtension.class)
class SmallerHolesAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  static TestServer server;

  @BeforeAll
  static void start(Vertx vertx) {
    server = TestServer.start(vertx, new JsonObject()
        .put(Settings.TRUSTED_PROXIES, "127.0.0.1")
        .put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 5), CLOCK);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void a_client_cannot_hide_behind_an_x_forwarded_for_line_of_its_own_in_front_of_the_proxys() {
    String realClient = "198.51.100.7";
    Browser attacker = server.browser();
    List<Integer> statuses = new ArrayList<>();
    try (LogCapture log = LogCapture.attach()) {
      for (int i = 1; i <= 7; i++) {
        // The attacker's own line comes first; the proxy adds its line (the address it saw) after it.
        attacker.headerLines("X-Forwarded-For", "203.0.113." + i, realClient);
        statuses.add(attacker.signIn(Emails.unique("sprayed"), "Spring2026!").status());
      }
      assertTrue(log.lines().stream().anyMatch(l -> l.contains("dev.gatehouse.access") && l.contains("/api/session")
          && l.endsWith(" " + realClient)), "the access log names the address the proxy saw");
      assertFalse(log.text().contains("203.0.113."), "never an address the client wrote itself");
    }
    assertEquals(List.of(401, 401, 401, 401, 429, 429, 429), statuses,
        "the 5th failure from one real address uses its budget up, whatever the client wrote");
    CLOCK.advance(Duration.ofHours(2));
  }

  @Test
  void the_security_log_names_the_address_the_proxy_saw_not_the_one_the_client_wrote() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Browser thief = server.browser().headerLines("X-Forwarded-For", "192.0.2.1", "203.0.113.66, 127.0.0.1");
    assertEquals(401, thief.signIn(user.email, "not the password").status());
    JsonArray events = user.browser.get("/api/me/security-events").json().getJsonArray("events");
    JsonObject failed = events.getJsonObject(0);
    assertEquals("signin.password_failed", failed.getString("type"));
    assertEquals("203.0.113.66", failed.getString("ip"), "walked from the right, past our own proxies");
    CLOCK.advance(Duration.ofHours(2));
  }

  @Test
  void another_site_cannot_have_the_browser_download_or_print_the_recovery_codes() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    user.sudo(user.browser);
    for (String path : List.of("/account/recovery-codes.txt", "/account/recovery-codes/print")) {
      // A link on another site: a top-level navigation, so the Lax session cookie goes along.
      Response crossSite = user.browser.send(user.browser.request(path).header("Sec-Fetch-Site", "cross-site")
          .header("Sec-Fetch-Mode", "navigate"));
      assertEquals(403, crossSite.status(), path + ": " + crossSite);
      assertEquals("cross_site", crossSite.code());
      assertFalse(crossSite.body().contains(user.recoveryCodes.get(0)), "no code in the refusal");

      Response ours = user.browser.send(user.browser.request(path).header("Sec-Fetch-Site", "same-origin"));
      assertEquals(200, ours.status(), path + " from our own page still works");
    }
    List<String> types = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type")).toList();
    assertEquals(1, types.stream().filter("recovery_codes.downloaded"::equals).count(), types.toString());
    assertEquals(1, types.stream().filter("recovery_codes.printed"::equals).count(), types.toString());
  }
}
