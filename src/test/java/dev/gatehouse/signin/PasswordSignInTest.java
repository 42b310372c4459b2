package dev.gatehouse.signin;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasswordSignInTest {

  static final String PASSWORD = "correct horse battery staple";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  private static String newAccount() {
    String email = Emails.unique("ann");
    Response created = server.browser().signUp(email, PASSWORD);
    assertEquals(201, created.status(), created.toString());
    return email;
  }

  @Test
  void a_new_account_signs_in_reads_its_profile_and_signs_out() {
    String email = newAccount();
    Browser browser = server.browser();

    Response signIn = browser.signIn(email.toUpperCase(), PASSWORD);
    assertEquals(200, signIn.status(), signIn.toString());
    assertEquals("signed_in", signIn.json().getString("state"));

    Response me = browser.get("/api/me");
    assertEquals(200, me.status());
    assertEquals(email, me.json().getJsonObject("user").getString("email"));
    assertEquals("no-store", me.header("Cache-Control"));

    assertEquals(204, browser.delete("/api/session").status());
    Response after = browser.get("/api/me");
    assertEquals(401, after.status());
    assertEquals("not_signed_in", after.code());
  }

  @Test
  void the_same_email_cannot_sign_up_twice_whatever_its_case() {
    String email = newAccount();
    Response again = server.browser().signUp("  " + email.toUpperCase() + " ", PASSWORD);
    assertEquals(409, again.status());
    assertEquals("email_taken", again.code());
  }

  @Test
  void a_wrong_password_and_an_unknown_email_look_the_same() {
    String email = newAccount();
    Browser browser = server.browser();
    Response wrong = browser.signIn(email, "not the password at all");
    Response unknown = browser.signIn(Emails.unique("nobody"), "not the password at all");
    assertEquals(401, wrong.status());
    assertEquals(wrong.status(), unknown.status());
    assertEquals(wrong.body(), unknown.body());
    assertEquals("invalid_credentials", unknown.code());
  }

  @Test
  void an_unknown_email_costs_a_password_hash_too() {
    String email = newAccount();
    Browser browser = server.browser();
    List<Long> known = new ArrayList<>();
    List<Long> unknown = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      known.add(timed(() -> browser.signIn(email, "wrong password " + System.nanoTime())));
      unknown.add(timed(() -> browser.signIn(Emails.unique("ghost"), "wrong password")));
    }
    long knownMedian = median(known);
    long unknownMedian = median(unknown);
    // Without the dummy hash an unknown email answers in ~1 ms against ~20+ ms for a known one.
    assertTrue(unknownMedian * 2 > knownMedian, "unknown " + unknownMedian + "µs vs known " + knownMedian + "µs");
  }

  @Test
  void the_session_id_changes_at_sign_in_and_the_old_one_is_worthless() {
    String email = newAccount();
    Browser browser = server.browser();
    // Fixation: an id the attacker chose and planted in the victim's browser before sign-in.
    String planted = "0123456789abcdef0123456789abcdef";
    browser.setCookie("gatehouse", planted);
    assertEquals(200, browser.signIn(email, PASSWORD).status());
    String first = browser.sessionId();
    assertNotEquals(planted, first);
    assertEquals(32, first.length(), "128-bit id, hex");
    // Signing in again from a signed-in session moves it to yet another id.
    assertEquals(200, browser.signIn(email, PASSWORD).status());
    String second = browser.sessionId();
    assertNotEquals(first, second);

    for (String old : List.of(planted, first)) {
      Browser attacker = server.browser();
      attacker.setCookie("gatehouse", old);
      assertEquals(401, attacker.get("/api/me").status());
    }
    assertEquals(200, browser.get("/api/me").status());
  }

  @Test
  void the_session_cookie_is_http_only_and_same_site_lax() {
    String email = newAccount();
    Response signIn = server.browser().signIn(email, PASSWORD);
    String cookie = signIn.headers("Set-Cookie").stream().filter(c -> c.startsWith("gatehouse=")).findFirst().orElseThrow();
    assertTrue(cookie.contains("HTTPOnly") || cookie.contains("HttpOnly"), cookie);
    assertTrue(cookie.contains("SameSite=Lax"), cookie);
    assertTrue(!cookie.contains("Secure"), "plain http in tests: " + cookie);
  }

  @Test
  void a_session_ends_after_30_idle_minutes() {
    String email = newAccount();
    Browser browser = server.browser();
    assertEquals(200, browser.signIn(email, PASSWORD).status());
    CLOCK.advance(Duration.ofMinutes(29));
    assertEquals(200, browser.get("/api/me").status(), "used within 30 minutes: still signed in");
    CLOCK.advance(Duration.ofMinutes(29));
    assertEquals(200, browser.get("/api/me").status(), "each use restarts the 30 minutes");
    CLOCK.advance(Duration.ofMinutes(31));
    assertEquals(401, browser.get("/api/me").status());
  }

  @Test
  void a_session_ends_12_hours_after_sign_in_even_when_used() {
    String email = newAccount();
    Browser browser = server.browser();
    assertEquals(200, browser.signIn(email, PASSWORD).status());
    // Used every 25 minutes, so never idle for 30: 28 uses take it to 11 h 40 min.
    for (int minutes = 25; minutes <= 700; minutes += 25) {
      CLOCK.advance(Duration.ofMinutes(25));
      assertEquals(200, browser.get("/api/me").status(), "after " + minutes + " minutes");
    }
    CLOCK.advance(Duration.ofMinutes(19));
    assertEquals(200, browser.get("/api/me").status(), "11 h 59 min after sign-in");
    CLOCK.advance(Duration.ofMinutes(2));
    assertEquals(401, browser.get("/api/me").status(), "12 h 01 min after sign-in, 2 minutes after its last use");
  }

  @Test
  void password_rules_length_blocklist_and_no_truncation() {
    Browser browser = server.browser();
    assertEquals("weak_password", browser.signUp(Emails.unique("a"), "short7!").code());
    assertEquals("weak_password", browser.signUp(Emails.unique("a"), "x".repeat(257)).code());
    assertEquals("weak_password", browser.signUp(Emails.unique("a"), "Password123").code());
    String email = Emails.unique("long");
    String longest = "é".repeat(256);
    assertEquals(201, browser.signUp(email, longest).status());
    assertEquals(401, browser.signIn(email, "é".repeat(255)).status(), "no silent truncation");
    assertEquals(200, browser.signIn(email, longest).status());
    assertEquals(201, browser.signUp(Emails.unique("a"), "eight ch").status(), "8 characters, spaces allowed");
  }

  @Test
  void passwords_are_stored_as_argon2id_with_owasp_parameters() throws Exception {
    String email = newAccount();
    try (var c = server.jdbc(); var s = c.prepareStatement("SELECT password_hash FROM users WHERE email = ?")) {
      s.setString(1, email);
      var rs = s.executeQuery();
      assertTrue(rs.next());
      String hash = rs.getString(1);
      assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
      assertTrue(!hash.contains(PASSWORD));
      String salt = hash.split("\\$")[4];
      assertTrue(java.util.Base64.getDecoder().decode(salt + "=".repeat((4 - salt.length() % 4) % 4)).length >= 16);
    }
  }

  private static long timed(Runnable r) {
    long t = System.nanoTime();
    r.run();
    return (System.nanoTime() - t) / 1000;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
