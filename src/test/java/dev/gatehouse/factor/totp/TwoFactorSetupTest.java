package dev.gatehouse.factor.totp;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Enrolling, re-configuring and disabling an authenticator app (issue 3, docs/security.md 5, 6, 15–17). */
class TwoFactorSetupTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject().put("GATEHOUSE_ISSUER", "Acme Corp"), CLOCK);

  @Test
  void setup_answers_the_secret_grouped_the_key_uri_and_the_qr_code_url_and_is_not_cached() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    assertEquals("no-store", setup.header("Cache-Control"));
    JsonObject body = setup.json();
    String secret = body.getString("secret");
    assertTrue(secret.matches("[A-Z2-7]{32}"), "160 bits, base32, no padding: " + secret);
    assertEquals(secret, body.getString("secretGrouped").replace(" ", ""));
    assertTrue(body.getString("secretGrouped").matches("([A-Z2-7]{4} ){7}[A-Z2-7]{4}"));
    assertEquals("/api/me/two-factor/setup/qr.png", body.getString("qrCodeUrl"));
    assertFalse(body.getBoolean("reconfigure"));

    URI uri = URI.create(body.getString("otpauthUri"));
    assertEquals("otpauth", uri.getScheme());
    assertEquals("totp", uri.getHost());
    String encodedEmail = user.email;
    assertEquals("/Acme%20Corp:" + encodedEmail, uri.getRawPath());
    assertEquals("secret=" + secret + "&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30", uri.getRawQuery());
  }

  @Test
  void the_qr_png_decodes_to_the_otpauth_uri_and_the_svg_is_served_too() throws Exception {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    String uri = user.browser.post("/api/me/two-factor/setup", new JsonObject()).json().getString("otpauthUri");
    Response png = user.browser.get("/api/me/two-factor/setup/qr.png");
    assertEquals(200, png.status());
    assertEquals("image/png", png.header("Content-Type"));
    assertEquals("no-store", png.header("Cache-Control"));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.bytes()));
    assertTrue(image.getWidth() >= 240 && image.getWidth() <= 320, "width " + image.getWidth());
    String decoded = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(
        new BufferedImageLuminanceSource(image)))).getText();
    assertEquals(uri, decoded);

    Response svg = user.browser.get("/api/me/two-factor/setup/qr.svg");
    assertEquals(200, svg.status());
    assertEquals("image/svg+xml", svg.header("Content-Type"));
    assertEquals("no-store", svg.header("Cache-Control"));
    assertTrue(svg.body().startsWith("<svg "));
  }

  @Test
  void confirming_turns_2fa_on_hands_out_ten_recovery_codes_and_the_qr_code_is_gone() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    byte[] key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond())));
    assertEquals(200, confirmed.status(), confirmed.toString());
    assertEquals("no-store", confirmed.header("Cache-Control"));
    assertTrue(confirmed.json().getBoolean("enabled"));
    JsonArray codes = confirmed.json().getJsonArray("recoveryCodes");
    assertEquals(10, codes.size());
    codes.forEach(c -> assertTrue(String.valueOf(c).matches("[0-9a-z]{4}(-[0-9a-z]{4}){3}"), String.valueOf(c)));

    assertEquals(404, user.browser.get("/api/me/two-factor/setup/qr.png").status());
    assertEquals(404, user.browser.get("/api/me/two-factor/setup/qr.svg").status());
    Response again = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond())));
    assertEquals(404, again.status());

    JsonObject twoFactor = user.browser.get("/api/me").json().getJsonObject("twoFactor");
    assertTrue(twoFactor.getBoolean("enabled"));
    assertNotNull(twoFactor.getString("enabledAt"));
    assertEquals(10, twoFactor.getInteger("recoveryCodesRemaining"));
    assertFalse(twoFactor.getBoolean("recoveryCodesLow"));
  }

  @Test
  void the_secret_is_stored_sealed_never_in_plain_text() throws Exception {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    String secret = user.browser.post("/api/me/two-factor/setup", new JsonObject()).json().getString("secret");
    String pending = stored("SELECT secret FROM totp_setups t JOIN users u ON u.id = t.user_id WHERE u.email = ?",
        user.email);
    assertSealed(pending, secret);
    byte[] key = Base32.decode(secret).orElseThrow();
    assertEquals(200, user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond()))).status());
    String confirmed = stored(
        "SELECT secret FROM totp_credentials t JOIN users u ON u.id = t.user_id WHERE u.email = ?", user.email);
    assertSealed(confirmed, secret);
  }

  @Test
  void a_sealed_secret_moved_to_another_users_row_does_not_open() throws Exception {
    TwoFactorUser alice = TwoFactorUser.enrolled(server, CLOCK);
    TwoFactorUser mallory = TwoFactorUser.enrolled(server, CLOCK);
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement("""
        UPDATE totp_credentials SET secret = (SELECT t.secret FROM totp_credentials t JOIN users u
          ON u.id = t.user_id WHERE u.email = ?) WHERE user_id = (SELECT id FROM users WHERE email = ?)""")) {
      s.setString(1, alice.email);
      s.setString(2, mallory.email);
      assertEquals(1, s.executeUpdate());
    }
    // Mallory's row now holds Alice's sealed secret; with Alice's code it still does not sign Mallory in.
    Browser b = mallory.pending();
    Response answer = secondStep(b, "code", alice.code());
    assertEquals(500, answer.status(), answer.toString());
    assertEquals("two_factor_unreadable", answer.code());
    assertFalse(answer.body().contains("Exception"), answer.toString());
    assertEquals(401, b.get("/api/me").status());
  }

  @Test
  void the_pending_secret_expires_after_15_minutes() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    byte[] key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    CLOCK.advance(Duration.ofMinutes(15).plusSeconds(1));
    user.sudo(user.browser); // sudo lasts 10 minutes; the setup's own clock is what is tested here
    assertEquals(404, user.browser.get("/api/me/two-factor/setup/qr.png").status());
    Response late = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond())));
    assertEquals(404, late.status(), late.toString());
    assertEquals("no_setup_pending", late.code());
    assertFalse(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
  }

  @Test
  void everything_needs_a_password_confirmed_in_the_last_10_minutes() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    CLOCK.advance(Duration.ofMinutes(10).plusSeconds(1));
    Browser b = user.browser;
    List<Response> answers = List.of(
        b.post("/api/me/two-factor/setup", new JsonObject()),
        b.get("/api/me/two-factor/setup/qr.png"),
        b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", user.code())),
        b.delete("/api/me/two-factor"),
        b.get("/api/me/two-factor/recovery-codes"),
        b.post("/api/me/two-factor/recovery-codes", new JsonObject()),
        b.get("/account/recovery-codes.txt"),
        b.get("/account/recovery-codes/print"));
    for (Response answer : answers) {
      assertEquals(403, answer.status(), answer.toString());
      assertEquals("sudo_required", answer.code());
    }
    assertTrue(b.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"), "nothing changed");
  }

  @Test
  void a_wrong_or_malformed_code_does_not_turn_2fa_on() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    byte[] key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    long now = CLOCK.instant().getEpochSecond();
    List<String> window = List.of(Totp.STANDARD.codeAt(key, now - 30), Totp.STANDARD.codeAt(key, now),
        Totp.STANDARD.codeAt(key, now + 30));
    String wrong = java.util.stream.Stream.of("000000", "111111", "222222").filter(c -> !window.contains(c))
        .findFirst().orElseThrow();
    Response refused = user.browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", wrong));
    assertEquals(401, refused.status());
    assertEquals("invalid_code", refused.code());
    for (Object bad : List.of(123456, new JsonArray().add(1), "12345", "1234567", "١٢٣٤٥٦", "x".repeat(10_000))) {
      Response answer = user.browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", bad));
      assertEquals(400, answer.status(), bad + " -> " + answer);
    }
    assertEquals(400, user.browser.post("/api/me/two-factor/setup/confirm", "{\"code\": null}").status());
    assertEquals(400, user.browser.post("/api/me/two-factor/setup/confirm", new JsonObject()).status());
    assertFalse(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    // The setup is still there for the right code.
    assertEquals(200, user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", window.get(1))).status());
  }

  @Test
  void another_users_code_cannot_confirm_my_setup_or_theirs() {
    TwoFactorUser alice = TwoFactorUser.signedIn(server, CLOCK);
    TwoFactorUser bob = TwoFactorUser.signedIn(server, CLOCK);
    byte[] aliceKey = Base32.decode(alice.browser.post("/api/me/two-factor/setup", new JsonObject()).json()
        .getString("secret")).orElseThrow();
    String aliceCode = Totp.STANDARD.codeAt(aliceKey, CLOCK.instant().getEpochSecond());
    // Bob has no setup of his own: Alice's code does nothing for him, and nothing to hers.
    Response bobTries = bob.browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", aliceCode));
    assertEquals(404, bobTries.status());
    bob.browser.post("/api/me/two-factor/setup", new JsonObject());
    Response bobAgain = bob.browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", aliceCode));
    assertEquals(401, bobAgain.status());
    assertEquals(200, alice.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", aliceCode)).status());
    assertFalse(bob.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
  }

  @Test
  void reconfigure_kills_the_old_secret_and_keeps_the_recovery_codes() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    byte[] oldKey = user.key;
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    assertTrue(setup.json().getBoolean("reconfigure"));
    // Until the new secret is confirmed, the old one still signs in.
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status());
    user.nextStep();

    byte[] newKey = Base32.decode(setup.json().getString("secret")).orElseThrow();
    Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(newKey, CLOCK.instant().getEpochSecond())));
    assertEquals(200, confirmed.status(), confirmed.toString());
    assertTrue(confirmed.json().getBoolean("reconfigured"));
    assertFalse(confirmed.json().containsKey("recoveryCodes"), "codes are kept, not handed out again");
    user.nextStep();

    String oldDevice = Totp.STANDARD.codeAt(oldKey, CLOCK.instant().getEpochSecond());
    String newDevice = Totp.STANDARD.codeAt(newKey, CLOCK.instant().getEpochSecond());
    Browser b = user.pending();
    assertEquals(401, secondStep(b, "code", oldDevice).status());
    assertEquals(200, secondStep(b, "code", newDevice).status());
    // The same recovery codes still work.
    assertEquals(200, secondStep(user.pending(), "recoveryCode", user.recoveryCodes.get(0)).status());
    List<String> types = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type")).toList();
    assertTrue(types.contains("two_factor.reconfigured"), types.toString());
  }

  @Test
  void with_2fa_on_the_password_alone_opens_nothing_a_code_must_follow() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    CLOCK.advance(Duration.ofMinutes(11)); // the sudo from enrolling has run out
    Browser b = user.browser;
    Response half = b.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertEquals(200, half.status(), half.toString());
    assertEquals("second_factor_required", half.json().getString("state"));
    assertEquals(List.of("totp", "recovery_code"), half.json().getJsonArray("methods").getList());
    for (Response refused : List.of(b.post("/api/me/two-factor/setup", new JsonObject()),
        b.delete("/api/me/two-factor"), b.get("/api/me/two-factor/recovery-codes"),
        b.post("/api/me/two-factor/recovery-codes", new JsonObject()), b.get("/account/recovery-codes.txt"))) {
      assertEquals(403, refused.status(), refused.toString());
      assertEquals("sudo_required", refused.code());
    }
    Response wrong = b.post("/api/me/sudo", new JsonObject().put("code", user.wrongCode()));
    assertEquals(401, wrong.status(), wrong.toString());
    assertEquals(403, b.delete("/api/me/two-factor").status(), "a wrong code grants nothing");
    assertEquals(0, count("SELECT count(*) FROM totp_setups WHERE user_id = ?", user), "no secret was made");

    assertEquals(204, b.post("/api/me/sudo", new JsonObject().put("code", user.code())).status());
    assertEquals(201, b.post("/api/me/two-factor/setup", new JsonObject()).status());
    List<JsonObject> events = b.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> (JsonObject) e).toList();
    assertTrue(events.stream().anyMatch(e -> e.getString("type").equals("sudo.granted")
        && "totp".equals(e.getJsonObject("details").getString("method"))), events.toString());
  }

  @Test
  void a_code_alone_needs_the_password_half_from_the_last_5_minutes_in_this_session() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser other = user.pending();
    assertEquals(401, other.post("/api/me/sudo", new JsonObject().put("code", user.code())).status(),
        "a pending session is not signed in");
    CLOCK.advance(Duration.ofMinutes(11));
    Response noPassword = user.browser.post("/api/me/sudo", new JsonObject().put("code", user.code()));
    assertEquals(403, noPassword.status(), noPassword.toString());
    assertEquals("password_required", noPassword.code());
    assertEquals(200, user.browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD))
        .status());
    CLOCK.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertEquals("password_required", user.browser.post("/api/me/sudo", new JsonObject().put("code", user.code()))
        .code(), "the password half ran out");
    Response wrongPassword = user.browser.post("/api/me/sudo",
        new JsonObject().put("password", "not the password").put("code", user.code()));
    assertEquals(401, wrongPassword.status());
    assertEquals("invalid_password", wrongPassword.code());
    assertEquals(403, user.browser.delete("/api/me/two-factor").status());
  }

  @Test
  void sudo_with_a_recovery_code_works_and_spends_it() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK); // the phone is lost: only the codes are left
    CLOCK.advance(Duration.ofMinutes(11));
    String recovery = user.recoveryCodes.get(2);
    Response sudo = user.browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD)
        .put("recoveryCode", recovery.toUpperCase()));
    assertEquals(204, sudo.status(), sudo.toString());
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    byte[] oldKey = user.key;
    user.key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    assertEquals(200, user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", user.code())).status());
    user.nextStep();

    assertEquals(401, secondStep(user.pending(), "code",
        Totp.STANDARD.codeAt(oldKey, CLOCK.instant().getEpochSecond())).status(), "the lost phone is worthless");
    assertEquals(401, secondStep(user.pending(), "recoveryCode", recovery).status(), "the code stays spent");
    assertEquals(200, secondStep(user.pending(), "code", user.code()).status());
    assertEquals(9, user.browser.get("/api/me").json().getJsonObject("twoFactor").getInteger("recoveryCodesRemaining"));
    List<JsonObject> events = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> (JsonObject) e).toList();
    JsonObject used = events.stream().filter(e -> e.getString("type").equals("recovery_code.used")).findFirst()
        .orElseThrow(() -> new AssertionError(events.toString()));
    assertEquals(9, used.getJsonObject("details").getInteger("remaining"));
    assertTrue(events.stream().anyMatch(e -> e.getString("type").equals("sudo.granted")
        && "recovery_code".equals(e.getJsonObject("details").getString("method"))), events.toString());
  }

  @Test
  void a_setup_not_started_as_a_reconfigure_never_replaces_a_secret() throws Exception {
    TwoFactorUser fresh = TwoFactorUser.signedIn(server, CLOCK);
    assertEquals(400, fresh.browser.post("/api/me/two-factor/setup", new JsonObject().put("code", "123456")).status(),
        "setup takes no code");

    // A setup row not marked as a re-configure while 2FA is on (one that raced the first confirmation)
    // cannot be confirmed into the account.
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    byte[] oldKey = user.key;
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status());
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement(
        "UPDATE totp_setups SET reconfigure = false WHERE user_id = (SELECT id FROM users WHERE email = ?)")) {
      s.setString(1, user.email);
      assertEquals(1, s.executeUpdate());
    }
    user.key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", user.code()));
    assertEquals(404, confirmed.status(), confirmed.toString());
    assertEquals(200, secondStep(user.pending(), "code",
        Totp.STANDARD.codeAt(oldKey, CLOCK.instant().getEpochSecond())).status(), "the old secret stays");
  }

  @Test
  void disable_forgets_every_factor_and_the_codes() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Response withCode = user.browser.delete("/api/me/two-factor", new JsonObject().put("code", user.code()));
    assertEquals(400, withCode.status(), "sudo proved the factor already: " + withCode);
    assertTrue(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));

    Response disabled = user.browser.delete("/api/me/two-factor");
    assertEquals(204, disabled.status(), disabled.toString());
    assertFalse(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    assertEquals(0, count("SELECT count(*) FROM totp_credentials WHERE user_id = ?", user));
    assertEquals(0, count("SELECT count(*) FROM recovery_codes WHERE user_id = ?", user));
    List<String> types = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type")).toList();
    assertEquals("two_factor.disabled", types.get(0));
    assertEquals("signed_in", server.browser().signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    assertEquals(409, user.browser.delete("/api/me/two-factor").status(), "already off");
  }

  @Test
  void setup_from_anonymous_or_with_a_body_naming_another_user_is_refused() {
    Response anonymous = server.browser().post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(401, anonymous.status());
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Response sneaky = user.browser.post("/api/me/two-factor/setup",
        new JsonObject().put("userId", UUID.randomUUID().toString()));
    assertEquals(400, sneaky.status(), "unknown fields are refused, the user is the session's");
  }

  @Test
  void a_bad_secret_key_stops_startup_with_a_line_naming_the_variable_not_the_value() {
    String badKey = java.util.Base64.getEncoder().encodeToString("only sixteen b!!".getBytes());
    IllegalStateException failed = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> TestServer.start(null, new JsonObject().put("GATEHOUSE_SECRET_KEY", badKey), CLOCK));
    assertTrue(failed.getMessage().contains("GATEHOUSE_SECRET_KEY"), failed.getMessage());
    assertTrue(failed.getMessage().contains("32 bytes"), failed.getMessage());
    assertFalse(failed.getMessage().contains(badKey), failed.getMessage());
  }

  @Test
  void no_secret_code_or_recovery_code_reaches_the_log() {
    try (LogCapture log = LogCapture.attach()) {
      TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
      Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
      String secret = setup.json().getString("secret");
      user.browser.get("/api/me/two-factor/setup/qr.png");
      user.key = Base32.decode(secret).orElseThrow();
      String confirmCode = user.code();
      Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
          new JsonObject().put("code", confirmCode));
      List<String> codes = confirmed.json().getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
      user.nextStep();
      String signInCode = user.code();
      secondStep(user.pending(), "code", signInCode);
      secondStep(user.pending(), "code", signInCode);
      secondStep(user.pending(), "recoveryCode", codes.get(0));
      user.browser.get("/api/me/two-factor/recovery-codes");
      user.browser.get("/account/recovery-codes.txt");

      String text = log.text();
      assertFalse(text.isEmpty(), "the capture works");
      List<String> secrets = new java.util.ArrayList<>(List.of(secret, secret.toLowerCase(),
          setup.json().getString("secretGrouped"), TwoFactorUser.PASSWORD));
      secrets.addAll(codes);
      codes.forEach(c -> secrets.add(c.replace("-", "").toUpperCase()));
      for (String s : secrets) {
        assertFalse(text.contains(s), "the log holds a secret value");
      }
      // Six digits could occur inside a longer number (a port, a pid); only a code standing alone counts.
      for (String code : List.of(confirmCode, signInCode)) {
        assertFalse(java.util.regex.Pattern.compile("(?<!\\d)" + code + "(?!\\d)").matcher(text).find(),
            "the log holds a TOTP code");
      }
    }
  }

  private static void assertSealed(String stored, String secret) {
    assertTrue(stored.startsWith("v1."), stored);
    assertFalse(stored.toUpperCase().contains(secret));
    assertFalse(stored.contains(secret.toLowerCase()));
    String rawBase64 = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(Base32.decode(secret).orElseThrow());
    assertFalse(stored.contains(rawBase64.substring(0, 12)));
  }

  private static String stored(String sql, String email) throws Exception {
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, email);
      ResultSet rs = s.executeQuery();
      assertTrue(rs.next());
      return rs.getString(1);
    }
  }

  private static int count(String sql, TwoFactorUser user) throws Exception {
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement(
        sql.replace("user_id = ?", "user_id = (SELECT id FROM users WHERE email = ?)"))) {
      s.setString(1, user.email);
      ResultSet rs = s.executeQuery();
      rs.next();
      return rs.getInt(1);
    }
  }
}
