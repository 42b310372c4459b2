package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on sessions kept in the database and on the stateless CSRF token (docs/security.md 13,
 * 28-31): a cookie replayed after its session was ended, a copy of the table used for cookies,
 * someone else's session handle, a CSRF token carried over from another session, random cookies.
 */
class StoredSessionAttacksTest {

  static final String PASSWORD = "correct horse battery staple";
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start();

  static Browser signedIn(String email) {
    Browser b = server.browser();
    assertEquals(200, b.signIn(email, PASSWORD).status());
    return b;
  }

  static String newAccount() {
    String email = Emails.unique("victim");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    return email;
  }

  static String handleOf(Browser b) {
    return b.get("/api/me/sessions").json().getJsonArray("sessions").stream().map(JsonObject.class::cast)
        .filter(s -> s.getBoolean("current")).findFirst().orElseThrow().getString("id");
  }

  static long sessionRows() {
    return server.count("SELECT count(*) FROM sessions");
  }

  @Test
  void a_copied_cookie_is_worthless_once_the_owner_ends_that_session() {
    String email = newAccount();
    Browser laptop = signedIn(email);
    Browser phone = signedIn(email);
    // The laptop is stolen: the thief has its cookies, the CSRF token included.
    Browser thief = server.browser();
    thief.setCookie("gatehouse", laptop.sessionId());
    thief.setCookie("XSRF-TOKEN", laptop.cookie("XSRF-TOKEN").orElseThrow());
    assertEquals(200, thief.get("/api/me").status(), "the copy works while the session lives");

    assertEquals(204, phone.delete("/api/me/sessions/" + handleOf(laptop)).status());

    assertEquals(401, thief.get("/api/me").status());
    Response sessions = thief.get("/api/me/sessions");
    assertEquals(401, sessions.status());
    Response password = thief.put("/api/me/password",
        new JsonObject().put("currentPassword", PASSWORD).put("newPassword", "stolen and changed"));
    assertEquals(401, password.status(), "not even with the password: " + password);
    assertEquals(200, server.browser().signIn(email, PASSWORD).status(), "the password did not change");
  }

  @Test
  void someone_elses_session_handle_ends_nothing() {
    Browser alice = signedIn(newAccount());
    Browser mallory = signedIn(newAccount());
    String aliceHandle = handleOf(alice); // handles are no secret: say it leaked
    Response attempt = mallory.delete("/api/me/sessions/" + aliceHandle);
    assertEquals(404, attempt.status(), attempt.toString());
    assertEquals("session_not_found", attempt.code());
    assertEquals(200, alice.get("/api/me").status());
    assertTrue(mallory.get("/api/me/sessions").body().indexOf(aliceHandle) < 0, "nor is it listed to her");
  }

  @Test
  void a_copy_of_the_sessions_table_yields_no_cookie() throws Exception {
    Browser victim = signedIn(newAccount());
    try (Connection c = server.jdbc(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT id_hash, handle::text FROM sessions")) {
      int tried = 0;
      while (rs.next()) {
        byte[] hash = rs.getBytes(1);
        for (String forged : List.of(HexFormat.of().formatHex(hash), HexFormat.of().formatHex(hash).substring(0, 32),
            Base64.getEncoder().encodeToString(hash), rs.getString(2), rs.getString(2).replace("-", ""))) {
          Browser thief = server.browser();
          thief.setCookie("gatehouse", forged);
          assertEquals(401, thief.get("/api/me").status(), "a value from the table used as a cookie");
          tried++;
        }
      }
      assertTrue(tried >= 5, "the table had rows to try");
    }
    assertEquals(200, victim.get("/api/me").status());
  }

  @Test
  void a_csrf_token_passes_only_with_the_session_it_was_issued_for() {
    Browser alice = signedIn(newAccount());
    Browser mallory = signedIn(newAccount());
    String aliceToken = alice.cookie("XSRF-TOKEN").orElseThrow();
    String own = mallory.cookie("XSRF-TOKEN").orElseThrow();
    Browser anonymous = server.browser();
    anonymous.get("/signin");
    String anonymousToken = anonymous.cookie("XSRF-TOKEN").orElseThrow();
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String madeUp = Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
    for (String token : List.of(aliceToken, anonymousToken, madeUp, aliceToken.substring(0, aliceToken.indexOf('.')))) {
      // Double submit done right by the attacker (cookie and header agree), but the token is not hers.
      mallory.setCookie("XSRF-TOKEN", token);
      Response r = mallory.send(mallory.request("/api/me/sudo").header("X-XSRF-TOKEN", token)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("password", PASSWORD).encode())));
      assertEquals(403, r.status(), token + " -> " + r);
      assertEquals("csrf_failed", r.code());
    }
    mallory.setCookie("XSRF-TOKEN", own);
    assertEquals(204, mallory.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)).status(),
        "her own token works");
  }

  @Test
  void random_session_cookies_cost_no_row_and_sign_nobody_in() throws Exception {
    long before = sessionRows();
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 100; i++) {
      byte[] id = new byte[16];
      random.nextBytes(id);
      Browser guesser = server.browser();
      guesser.setCookie("gatehouse", HexFormat.of().formatHex(id));
      assertEquals(401, guesser.get("/api/me").status());
      assertEquals(200, guesser.get("/signin").status());
    }
    assertEquals(before, sessionRows());
  }
}
