package dev.gatehouse.http;

import dev.gatehouse.config.Settings;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpRequest;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Served behind TLS (an https public URL; the TLS itself ends at the proxy): the session cookie
 * becomes {@code __Host-} and Secure, the CSRF cookie Secure, and every response carries HSTS
 * (docs/security.md 12 and 14).
 */
@ExtendWith(VertxExtension.class)
class HttpsModeTest {

  private static final String PASSWORD = "correct horse battery staple";

  @Test
  void behind_https_the_cookies_are_secure_host_only_and_hsts_is_sent(Vertx vertx) {
    try (TestServer server = TestServer.start(vertx,
        new JsonObject().put(Settings.PUBLIC_URL, "https://gatehouse.example"))) {
      for (String path : List.of("/", "/api/me", "/health/live", "/api/nothing-here")) {
        Response r = server.browser().get(path);
        String hsts = r.header("Strict-Transport-Security");
        assertTrue(hsts != null && hsts.contains("max-age=31536000"), path + ": " + hsts);
        assertEquals("DENY", r.header("X-Frame-Options"), path);
      }
      Response page = server.browser().get("/");
      assertTrue(page.headers("Set-Cookie").stream().noneMatch(c -> c.startsWith("__Host-gatehouse=")),
          "a page view starts no session");
      String csrf = page.headers("Set-Cookie").stream().filter(c -> c.startsWith("XSRF-TOKEN=")).findFirst().orElseThrow();
      assertTrue(csrf.contains("Secure"), csrf);
      // The client speaks plain http to the test server, so it would not send Secure cookies back: by hand.
      String token = csrf.substring("XSRF-TOKEN=".length(), csrf.indexOf(';'));
      String email = Emails.unique("tls");
      Browser b = server.browser();
      assertEquals(201, post(b, token, "/api/accounts", new JsonObject().put("email", email).put("password", PASSWORD)).status());
      Response signIn = post(b, token, "/api/session", new JsonObject().put("email", email).put("password", PASSWORD));
      assertEquals(200, signIn.status(), signIn.toString());
      List<String> cookies = signIn.headers("Set-Cookie");
      String session = cookies.stream().filter(c -> c.startsWith("__Host-gatehouse=")).findFirst()
          .orElseThrow(() -> new AssertionError("no __Host- session cookie in " + cookies));
      assertTrue(session.contains("Secure"), session);
      assertTrue(session.contains("HTTPOnly") || session.contains("HttpOnly"), session);
      assertTrue(session.contains("SameSite=Lax"), session);
      assertTrue(session.contains("Path=/"), "__Host- needs Path=/: " + session);
      assertTrue(!session.toLowerCase().contains("domain="), "__Host- forbids Domain: " + session);
      String id = session.substring("__Host-gatehouse=".length(), session.indexOf(';'));
      assertEquals(32, id.length(), "128-bit id, hex: " + id);
      String rotated = cookies.stream().filter(c -> c.startsWith("XSRF-TOKEN=")).findFirst().orElseThrow();
      assertTrue(rotated.contains("Secure"), rotated);
    }
  }

  private static Response post(Browser b, String token, String path, JsonObject body) {
    return b.send(b.request(path).header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }
}
