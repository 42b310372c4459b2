package dev.gatehouse.http;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.ServerFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear 4xx problem response and changes nothing. */
class BadInputTest {

  @RegisterExtension
  static final ServerFixture server = ServerFixture.start();

  @Test
  void malformed_sign_ups_answer_4xx_problems_and_write_no_row() throws Exception {
    String email = Emails.unique("bad");
    List<String> bodies = List.of(
        "{",
        "[]",
        "\"just a string\"",
        "null",
        "{\"email\": \"" + email + "\"}",
        "{\"email\": \"" + email + "\", \"password\": 12345678}",
        "{\"email\": [\"" + email + "\"], \"password\": \"correct horse battery\"}",
        "{\"email\": \"" + email + "\", \"password\": \"correct horse battery\", \"admin\": true}",
        "{\"email\": \"" + email + "\", \"password\": \"correct horse battery\", \"email\": \"x@example.com\"}",
        "{\"email\": \"not-an-email\", \"password\": \"correct horse battery\"}",
        "{\"email\": \"" + email + "\", \"password\": \"correct horse battery\", \"name\": {\"a\": 1}}",
        "{\"email\": \"" + email + "\", \"password\": \"correct horse battery\"} {}",
        "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{}}}}}}}}}}");
    Browser browser = server.browser();
    for (String body : bodies) {
      Response r = browser.postRaw("/api/accounts", "application/json", body.getBytes(StandardCharsets.UTF_8));
      assertProblem(r, body);
    }
    Response invalidUtf8 = browser.postRaw("/api/accounts", "application/json",
        new byte[] {'{', '"', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
    assertProblem(invalidUtf8, "invalid UTF-8");
    Response notJson = browser.postRaw("/api/accounts", "text/plain",
        ("{\"email\": \"" + email + "\", \"password\": \"correct horse battery\"}").getBytes(StandardCharsets.UTF_8));
    assertEquals(415, notJson.status());
    assertEquals(0, usersNamed(email));
  }

  @Test
  void an_oversized_body_is_refused_with_413() throws Exception {
    String email = Emails.unique("big");
    String body = "{\"email\": \"" + email + "\", \"password\": \"" + "x".repeat(64 * 1024) + "\"}";
    Response r = server.browser().postRaw("/api/accounts", "application/json", body.getBytes(StandardCharsets.UTF_8));
    assertEquals(413, r.status());
    assertEquals("payload_too_large", r.code());
    assertEquals(0, usersNamed(email));
  }

  @Test
  void a_post_without_the_csrf_token_is_refused() throws Exception {
    String email = Emails.unique("csrf");
    Browser forgetful = server.browser().withoutCsrf();
    forgetful.get("/");
    Response r = forgetful.signUp(email, "correct horse battery");
    assertEquals(403, r.status());
    assertEquals("csrf_failed", r.code());
    assertEquals(0, usersNamed(email));
  }

  @Test
  void a_cross_site_post_is_refused_even_with_a_token() throws Exception {
    String email = Emails.unique("xsite");
    Browser browser = server.browser();
    browser.get("/");
    String token = browser.cookie("XSRF-TOKEN").orElseThrow();
    String json = "{\"email\": \"" + email + "\", \"password\": \"correct horse battery\"}";
    Response fromEvil = browser.send(browser.request("/api/accounts").header("Content-Type", "application/json")
        .header("X-XSRF-TOKEN", token).header("Origin", "https://evil.example")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)));
    assertEquals(403, fromEvil.status());
    Response labelled = browser.send(browser.request("/api/accounts").header("Content-Type", "application/json")
        .header("X-XSRF-TOKEN", token).header("Sec-Fetch-Site", "cross-site")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)));
    assertEquals(403, labelled.status());
    Response wrongToken = browser.send(browser.request("/api/accounts").header("Content-Type", "application/json")
        .header("X-XSRF-TOKEN", token + "x").POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)));
    assertEquals(403, wrongToken.status());
    assertEquals(0, usersNamed(email));
  }

  @Test
  void every_response_carries_the_security_headers() {
    Browser browser = server.browser();
    for (String path : List.of("/", "/signin", "/api/me", "/health/live", "/api/nothing-here")) {
      Response r = browser.get(path);
      String csp = r.header("Content-Security-Policy");
      assertTrue(csp != null && csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), path + ": " + csp);
      assertEquals("DENY", r.header("X-Frame-Options"), path);
      assertEquals("nosniff", r.header("X-Content-Type-Options"), path);
      assertEquals("no-referrer", r.header("Referrer-Policy"), path);
      assertEquals(null, r.header("Strict-Transport-Security"), "no HSTS over plain http");
    }
  }

  @Test
  void deep_links_serve_the_app_and_unknown_api_routes_answer_404_problems() {
    Browser browser = server.browser();
    Response account = browser.get("/account");
    assertEquals(200, account.status());
    assertTrue(account.header("Content-Type").startsWith("text/html"));
    assertTrue(browser.cookie("XSRF-TOKEN").isPresent(), "the page sets the CSRF cookie");
    assertEquals(404, browser.get("/js/no-such-module.js").status(), "a missing asset is not the app's page");
    Response missing = browser.get("/api/does-not-exist");
    assertEquals(404, missing.status());
    assertEquals("application/problem+json", missing.header("Content-Type"));
    assertEquals("not_found", missing.code());
    assertFalse(missing.body().contains("Exception"));
  }

  @Test
  void health_endpoints_answer() {
    Browser browser = server.browser();
    assertEquals(200, browser.get("/health/live").status());
    Response ready = browser.get("/health/ready");
    assertEquals(200, ready.status());
    assertEquals("UP", ready.json().getString("database"));
  }

  static void assertProblem(Response r, String what) {
    assertTrue(r.status() >= 400 && r.status() < 500, what + " → " + r);
    assertEquals("application/problem+json", r.header("Content-Type"), what);
    assertTrue(r.json().getString("code") != null, what);
    assertFalse(r.body().contains("Exception") || r.body().contains("\tat "), what + " leaks a stack trace");
  }

  private static int usersNamed(String email) throws Exception {
    try (var c = server.jdbc(); var s = c.prepareStatement("SELECT count(*) FROM users WHERE email = ?")) {
      s.setString(1, email);
      ResultSet rs = s.executeQuery();
      rs.next();
      return rs.getInt(1);
    }
  }
}
