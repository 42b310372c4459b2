package dev.gatehouse.factor.recovery;

import dev.gatehouse.support.Race;
import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.support.TestServer;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Recovery codes: handed out, single-use, found again, regenerated, downloaded and printed (issue 4). */
class RecoveryCodesTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  // The attempt budgets have tests of their own (throttle/); here the single-use guards are what is proven.
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(TestServer.roomForRaces(), CLOCK);

  @Test
  void a_recovery_code_signs_in_once_and_is_refused_the_second_time() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    String code = user.recoveryCodes.get(0);
    Browser b = user.pending();
    String pendingId = b.sessionId();
    Response first = secondStep(b, "recoveryCode", code);
    assertEquals(200, first.status(), first.toString());
    assertEquals("signed_in", first.json().getString("state"));
    assertEquals(9, first.json().getInteger("recoveryCodesRemaining"));
    assertNotEquals(pendingId, b.sessionId());

    Response second = secondStep(user.pending(), "recoveryCode", code);
    assertEquals(401, second.status());
    assertEquals("invalid_code", second.code());
    assertEquals(9, b.get("/api/me").json().getJsonObject("twoFactor").getInteger("recoveryCodesRemaining"));
  }

  @Test
  void fifty_parallel_uses_of_one_code_give_exactly_one_success_and_the_count_stays_right() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> browsers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      browsers.add(user.pending());
    }
    String code = user.recoveryCodes.get(5);
    List<Response> answers = Race.of(browsers, b -> secondStep(b, "recoveryCode", code));
    List<Response> wins = answers.stream().filter(a -> a.status() == 200).toList();
    assertEquals(1, wins.size(), answers.stream().map(Response::status).toList().toString());
    assertEquals(49, answers.stream().filter(a -> a.status() == 401).count());
    assertEquals(9, wins.get(0).json().getInteger("recoveryCodesRemaining"));
    assertEquals(9, user.browser.get("/api/me").json().getJsonObject("twoFactor")
        .getInteger("recoveryCodesRemaining"));
    JsonObject listed = user.browser.get("/api/me/two-factor/recovery-codes").json();
    assertEquals(9, listed.getInteger("remaining"));
    assertEquals(1, listed.getJsonArray("codes").stream().filter(c -> ((JsonObject) c).getBoolean("used")).count());
  }

  @Test
  void case_spaces_and_hyphens_do_not_matter() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<String> typed = List.of(
        user.recoveryCodes.get(0).toUpperCase(Locale.ROOT),
        user.recoveryCodes.get(1).replace("-", ""),
        user.recoveryCodes.get(2).replace("-", " "),
        "  " + user.recoveryCodes.get(3).replace("-", " - ").toUpperCase(Locale.ROOT) + " ");
    for (String code : typed) {
      Response answer = secondStep(user.pending(), "recoveryCode", code);
      assertEquals(200, answer.status(), code + " -> " + answer);
    }
  }

  @Test
  void malformed_recovery_codes_are_400_and_not_a_guess() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    for (Object bad : List.of(12345678, true, new JsonArray().add(user.recoveryCodes.get(0)), "abcd-efgh",
        "abcd-efgh-jkmn-pqru", "x".repeat(10_000), "")) {
      Response answer = secondStep(b, "recoveryCode", bad);
      assertEquals(400, answer.status(), bad + " -> " + answer);
    }
    assertEquals(400, b.post("/api/session/two-factor", "{\"recoveryCode\": null}").status());
    assertEquals(200, secondStep(b, "recoveryCode", user.recoveryCodes.get(0)).status());
  }

  @Test
  void the_codes_can_be_found_again_with_their_used_state() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    assertEquals(200, secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(2)).status());
    Response listed = user.browser.get("/api/me/two-factor/recovery-codes");
    assertEquals(200, listed.status(), listed.toString());
    assertEquals("no-store", listed.header("Cache-Control"));
    JsonArray codes = listed.json().getJsonArray("codes");
    assertEquals(user.recoveryCodes, codes.stream().map(c -> ((JsonObject) c).getString("code")).toList());
    for (int i = 0; i < codes.size(); i++) {
      assertEquals(i == 2, codes.getJsonObject(i).getBoolean("used"));
    }
    assertEquals(9, listed.json().getInteger("remaining"));
  }

  @Test
  void the_profile_flags_three_or_fewer_codes_left() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    for (int i = 0; i < 6; i++) {
      assertEquals(200, secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(i)).status());
    }
    JsonObject fourLeft = user.browser.get("/api/me").json().getJsonObject("twoFactor");
    assertEquals(4, fourLeft.getInteger("recoveryCodesRemaining"));
    assertFalse(fourLeft.getBoolean("recoveryCodesLow"));
    Response last = secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(6));
    assertEquals(3, last.json().getInteger("recoveryCodesRemaining"));
    assertTrue(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("recoveryCodesLow"));
  }

  @Test
  void regenerating_kills_every_old_code() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Response fresh = user.browser.post("/api/me/two-factor/recovery-codes", new JsonObject());
    assertEquals(201, fresh.status(), fresh.toString());
    assertEquals("no-store", fresh.header("Cache-Control"));
    List<String> newCodes = fresh.json().getJsonArray("codes").stream()
        .map(c -> ((JsonObject) c).getString("code")).toList();
    assertEquals(10, newCodes.size());
    assertTrue(newCodes.stream().noneMatch(user.recoveryCodes::contains));

    // Every old code, each in its own sign-in so the 5-wrong-codes rule does not hide anything.
    for (String old : user.recoveryCodes) {
      Response answer = secondStep(user.pending(), "recoveryCode", old);
      assertEquals(401, answer.status(), old + " -> " + answer);
    }
    assertEquals(200, secondStep(user.pending(), "recoveryCode", newCodes.get(0)).status());
    assertEquals(9, user.browser.get("/api/me").json().getJsonObject("twoFactor")
        .getInteger("recoveryCodesRemaining"));
  }

  @Test
  void viewing_and_regenerating_need_sudo_and_2fa() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser noSudo = server.browser();
    TwoFactorUser.secondStep(signInPending(noSudo, user), "code", user.code());
    Response view = noSudo.get("/api/me/two-factor/recovery-codes");
    assertEquals(403, view.status());
    assertEquals("sudo_required", view.code());
    assertEquals(403, noSudo.post("/api/me/two-factor/recovery-codes", new JsonObject()).status());

    TwoFactorUser plain = TwoFactorUser.signedIn(server, CLOCK);
    Response none = plain.browser.get("/api/me/two-factor/recovery-codes");
    assertEquals(409, none.status());
    assertEquals("two_factor_not_enabled", none.code());
    assertEquals(409, plain.browser.post("/api/me/two-factor/recovery-codes", new JsonObject()).status());
  }

  @Test
  void the_text_file_holds_exactly_the_current_codes_and_is_not_cached() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    assertEquals(200, secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(9)).status());
    Response txt = user.browser.get("/account/recovery-codes.txt");
    assertEquals(200, txt.status(), txt.toString());
    assertEquals("no-store", txt.header("Cache-Control"));
    assertTrue(txt.header("Content-Type").startsWith("text/plain"));
    assertTrue(txt.header("Content-Disposition").startsWith("attachment; filename=\"gatehouse-recovery-codes.txt\""));
    String body = txt.body();
    assertTrue(body.startsWith("Gatehouse recovery codes\n"), body);
    assertTrue(body.contains(user.email));
    assertTrue(body.contains(LocalDate.now(CLOCK.withZone(ZoneOffset.UTC)).toString()));
    assertEquals(user.recoveryCodes.subList(0, 9), codesIn(body));
    assertTrue(body.contains("1 code of this set was already used"));
  }

  @Test
  void the_printable_page_holds_exactly_the_current_codes_and_is_not_cached() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<String> current = user.browser.post("/api/me/two-factor/recovery-codes", new JsonObject()).json()
        .getJsonArray("codes").stream().map(c -> ((JsonObject) c).getString("code")).toList();
    Response page = user.browser.get("/account/recovery-codes/print");
    assertEquals(200, page.status(), page.toString());
    assertEquals("no-store", page.header("Cache-Control"));
    assertTrue(page.header("Content-Type").startsWith("text/html"));
    String html = page.body();
    assertEquals(current, codesIn(html));
    assertTrue(html.contains(user.email));
    assertTrue(html.contains("<link rel=\"stylesheet\" href=\"/account/recovery-codes/print.css\">"));
    assertFalse(html.contains("<style"), "the CSP allows no inline style");
    assertFalse(html.matches("(?s).*<script>.*"), "the CSP allows no inline script");
    assertTrue(page.header("Content-Security-Policy").contains("default-src 'self'"));

    Response css = user.browser.get("/account/recovery-codes/print.css");
    assertEquals(200, css.status());
    assertTrue(css.body().contains("@media print"));
    assertEquals(200, user.browser.get("/account/recovery-codes/print.js").status());
  }

  @Test
  void codes_are_not_stored_in_plain_text() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement("""
        SELECT r.code, r.lookup FROM recovery_codes r JOIN users u ON u.id = r.user_id
        WHERE u.email = ? ORDER BY r.position""")) {
      s.setString(1, user.email);
      ResultSet rs = s.executeQuery();
      int rows = 0;
      while (rs.next()) {
        String plain = user.recoveryCodes.get(rows++);
        String canonical = plain.replace("-", "").toUpperCase(Locale.ROOT);
        String stored = rs.getString("code");
        byte[] lookup = rs.getBytes("lookup");
        assertTrue(stored.startsWith("v1."), stored);
        for (String form : List.of(plain, canonical, canonical.toLowerCase(Locale.ROOT), plain.toUpperCase())) {
          assertFalse(stored.contains(form));
          assertFalse(new String(lookup, java.nio.charset.StandardCharsets.ISO_8859_1).contains(form));
        }
        assertEquals(32, lookup.length);
        byte[] unkeyed = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes());
        assertNotEquals(HexFormat.of().formatHex(unkeyed), HexFormat.of().formatHex(lookup), "keyed, not a plain hash");
      }
      assertEquals(10, rows);
    }
  }

  @Test
  void using_viewing_downloading_printing_and_regenerating_are_in_the_security_log() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(0));
    user.browser.get("/api/me/two-factor/recovery-codes");
    user.browser.get("/account/recovery-codes.txt");
    user.browser.get("/account/recovery-codes/print");
    user.browser.post("/api/me/two-factor/recovery-codes", new JsonObject());
    JsonArray events = user.browser.get("/api/me/security-events").json().getJsonArray("events");
    List<String> types = events.stream().map(e -> ((JsonObject) e).getString("type")).toList();
    assertEquals(List.of("recovery_codes.regenerated", "recovery_codes.printed", "recovery_codes.downloaded",
        "recovery_codes.viewed"), types.subList(0, 4));
    JsonObject used = events.stream().map(e -> (JsonObject) e)
        .filter(e -> e.getString("type").equals("recovery_code.used")).findFirst().orElseThrow();
    assertEquals(9, used.getJsonObject("details").getInteger("remaining"));
    JsonObject signIn = events.stream().map(e -> (JsonObject) e)
        .filter(e -> e.getString("type").equals("signin.succeeded")).findFirst().orElseThrow();
    assertEquals("recovery_code", signIn.getJsonObject("details").getString("method"));
    assertFalse(events.encode().contains(user.recoveryCodes.get(0)), "events never hold a code");
  }

  private static Browser signInPending(Browser b, TwoFactorUser user) {
    assertEquals("two_factor_required", b.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    return b;
  }

  /** The recovery codes in a text, in order of appearance. */
  private static List<String> codesIn(String text) {
    List<String> found = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("\\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\\b").matcher(text);
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }
}
