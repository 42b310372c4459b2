package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.Base32;
import dev.gatehouse.factor.totp.Totp;
import dev.gatehouse.logging.LogSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole journey with every log line captured, as events and as both log formats write them: no
 * password, TOTP secret (base32 or raw), code, recovery code or session id may appear in any of
 * them, and no error body echoes what was sent.
 */
class NothingSecretLeaksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  final Set<String> secrets = new LinkedHashSet<>();
  final Set<String> codes = new LinkedHashSet<>();
  final List<Response> refusals = new ArrayList<>();
  final List<String> refusedInputs = new ArrayList<>();

  @Test
  void the_whole_journey_leaves_no_secret_in_the_log_in_either_format_or_in_an_error_body() {
    try (LogCapture events = LogCapture.attach();
         LogCapture text = LogCapture.attach(LogSetup.TEXT);
         LogCapture json = LogCapture.attach(LogSetup.JSON)) {
      journey();
      assertTrue(events.text().contains("/api/session"), "the capture saw the access log");
      assertNoSecret("the log events", events.text());
      // What GATEHOUSE_LOG_FORMAT=text and =json write to standard output (docs/security.md 42).
      assertNoSecret("the text log", text.text());
      assertNoSecret("the JSON log", json.text());
      StringBuilder decoded = new StringBuilder();
      boolean accessFields = false;
      for (String line : json.lines()) {
        JsonObject event = new JsonObject(line); // one JSON object per line, nothing else
        collectStrings(event, decoded);
        accessFields |= "dev.gatehouse.access".equals(event.getString("loggerName"))
            && event.encode().contains("\"path\":\"/api/session\"");
      }
      assertTrue(accessFields, "the JSON access log carries its fields: " + json.lines().get(json.lines().size() - 1));
      assertNoSecret("the JSON log's decoded values", decoded.toString());
      assertEquals(events.lines().size(), json.lines().size(), "every event is one JSON line");
      for (int i = 0; i < refusals.size(); i++) {
        String body = refusals.get(i).body();
        String sent = refusedInputs.get(i);
        assertTrue(!body.contains(sent), "an error body echoes what was sent: " + body);
        for (String secret : secrets) {
          assertTrue(!body.contains(secret), "an error body holds a secret: " + body);
        }
      }
    }
  }

  private void assertNoSecret(String where, String text) {
    for (String secret : secrets) {
      assertTrue(!text.contains(secret), "a secret reached " + where + ": " + describe(secret));
    }
    for (String code : codes) {
      Pattern alone = Pattern.compile("(?<![0-9])" + code + "(?![0-9])");
      assertTrue(!alone.matcher(text).find(), "a code reached " + where + ": " + code);
    }
  }

  private static void collectStrings(Object value, StringBuilder out) {
    if (value instanceof JsonObject o) {
      o.forEach(e -> {
        out.append(e.getKey()).append('\n');
        collectStrings(e.getValue(), out);
      });
    } else if (value instanceof JsonArray a) {
      a.forEach(v -> collectStrings(v, out));
    } else if (value != null) {
      out.append(value).append('\n');
    }
  }

  private void journey() {
    String email = Emails.unique("quiet");
    String password = "tr0ub4dor & 3 horses";
    secrets.add(password);
    Browser b = server.browser();
    b.get("/");
    sessionId(b);
    assertEquals(201, b.signUp(email, password).status());
    refused(b.signIn(email, "wrong horse battery"), "wrong horse battery");
    secrets.add("wrong horse battery");
    assertEquals(200, b.signIn(email, password).status());
    sessionId(b);
    refused(b.post("/api/me/sudo", new JsonObject().put("password", "not my password")), "not my password");
    secrets.add("not my password");
    assertEquals(204, b.post("/api/me/sudo", new JsonObject().put("password", password)).status());

    // Enable: the secret, raw and in every spelling, is a secret from here on.
    JsonObject setup = b.post("/api/me/two-factor/setup", new JsonObject()).json();
    String base32 = setup.getString("secret");
    byte[] key = Base32.decode(base32).orElseThrow();
    secrets.add(base32);
    secrets.add(base32.toLowerCase(Locale.ROOT));
    secrets.add(setup.getString("secretGrouped"));
    secrets.add(HexFormat.of().formatHex(key));
    secrets.add(Base64.getEncoder().encodeToString(key));
    secrets.add(Base64.getUrlEncoder().withoutPadding().encodeToString(key));
    assertEquals(200, b.get("/api/me/two-factor/setup/qr.png").status());
    refused(b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", "12345x")), "12345x");
    String wrong = wrongCode(key);
    refused(b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", wrong)), wrong);
    JsonObject confirmed = b.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", code(key)))
        .json();
    List<String> recovery = confirmed.getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
    recovery.forEach(this::recoveryCode);
    CLOCK.advance(Duration.ofSeconds(30));
    assertEquals(204, b.delete("/api/session").status());
    sessionId(b);

    // Sign in with a TOTP code, after a wrong one.
    assertEquals("two_factor_required", b.signIn(email, password).json().getString("state"));
    sessionId(b);
    String wrong2 = wrongCode(key);
    refused(b.post("/api/session/two-factor", new JsonObject().put("code", wrong2)), wrong2);
    assertEquals(200, b.post("/api/session/two-factor", new JsonObject().put("code", code(key))).status());
    sessionId(b);
    CLOCK.advance(Duration.ofSeconds(30));
    assertEquals(204, b.delete("/api/session").status());

    // Sign in with a recovery code, after a wrong one.
    assertEquals("two_factor_required", b.signIn(email, password).json().getString("state"));
    sessionId(b);
    refused(b.post("/api/session/two-factor", new JsonObject().put("recoveryCode", "ZZZZ-ZZZZ-ZZZZ-ZZZZ")),
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
    assertEquals(200, b.post("/api/session/two-factor", new JsonObject().put("recoveryCode", recovery.get(0)))
        .status());
    sessionId(b);

    // Settings: sudo at full strength (after a wrong code), view, download, print, regenerate, disable.
    assertEquals(200, b.post("/api/me/sudo", new JsonObject().put("password", password)).status());
    String wrong3 = wrongCode(key);
    refused(b.post("/api/me/sudo", new JsonObject().put("code", wrong3)), wrong3);
    CLOCK.advance(Duration.ofSeconds(30));
    assertEquals(204, b.post("/api/me/sudo", new JsonObject().put("code", code(key))).status());
    assertEquals(200, b.get("/api/me/two-factor/recovery-codes").status());
    assertEquals(200, b.get("/account/recovery-codes.txt").status());
    assertEquals(200, b.get("/account/recovery-codes/print").status());
    Response regenerated = b.post("/api/me/two-factor/recovery-codes", new JsonObject());
    assertEquals(201, regenerated.status(), regenerated.toString());
    regenerated.json().getJsonArray("recoveryCodes", regenerated.json().getJsonArray("codes")).stream()
        .map(c -> c instanceof JsonObject o ? o.getString("code") : String.valueOf(c)).forEach(this::recoveryCode);
    refused(b.delete("/api/me/two-factor", new JsonObject().put("recoveryCode", recovery.get(0))), recovery.get(0));
    assertEquals(204, b.delete("/api/me/two-factor").status());
    assertEquals(204, b.delete("/api/session").status());
    sessionId(b);
  }

  private void refused(Response r, String sent) {
    assertTrue(r.status() >= 400 && r.status() < 500, r.toString());
    refusals.add(r);
    refusedInputs.add(sent);
  }

  private void sessionId(Browser b) {
    if (b.sessionId() != null) {
      secrets.add(b.sessionId());
    }
    b.cookie("XSRF-TOKEN").ifPresent(secrets::add);
  }

  private void recoveryCode(String code) {
    secrets.add(code);
    secrets.add(code.replace("-", ""));
    secrets.add(code.replace("-", "").toLowerCase(Locale.ROOT));
  }

  private String code(byte[] key) {
    String code = Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond());
    codes.add(code);
    return code;
  }

  /** A code of a step an hour away: wrong, and beyond the clock-skew search, so nothing is spent. */
  private String wrongCode(byte[] key) {
    String code = Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond() + 3600);
    codes.add(code);
    return code;
  }

  private static String describe(String secret) {
    return secret.length() <= 4 ? "****" : secret.substring(0, 2) + "…(" + secret.length() + " chars)";
  }
}
