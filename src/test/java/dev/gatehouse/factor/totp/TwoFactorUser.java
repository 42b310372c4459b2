package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * A person in the tests: an account, a browser signed in with it, and once enrolled, their authenticator
 * app (the key) and recovery codes. Codes are computed at the server's (test) clock.
 */
public final class TwoFactorUser {

  public static final String PASSWORD = "correct horse battery staple";

  public final RunningServer server;
  public final MutableClock clock;
  public final String email;
  public final Browser browser;
  public byte[] key;
  public List<String> recoveryCodes;

  private TwoFactorUser(RunningServer server, MutableClock clock, String email, Browser browser) {
    this.server = server;
    this.clock = clock;
    this.email = email;
    this.browser = browser;
  }

  /** Signed up and signed in (no 2FA yet), with sudo. */
  public static TwoFactorUser signedIn(RunningServer server, MutableClock clock) {
    return signedIn(server, clock, Emails.unique("tf"));
  }

  /** As {@link #signedIn(RunningServer, MutableClock)}, with this email (e.g. at an organisation's domain). */
  public static TwoFactorUser signedIn(RunningServer server, MutableClock clock, String email) {
    Browser browser = server.browser();
    Response created = browser.signUp(email, PASSWORD);
    assertEquals(201, created.status(), created.toString());
    Response signedIn = browser.signIn(email, PASSWORD);
    assertEquals("signed_in", signedIn.json().getString("state"), signedIn.toString());
    TwoFactorUser user = new TwoFactorUser(server, clock, email, browser);
    user.sudo(browser);
    return user;
  }

  /** Signed in with 2FA on: set up, confirmed, recovery codes kept; the clock moved past the confirming step. */
  public static TwoFactorUser enrolled(RunningServer server, MutableClock clock) {
    TwoFactorUser user = signedIn(server, clock);
    user.enable();
    return user;
  }

  public static TwoFactorUser enrolled(RunningServer server, MutableClock clock, String email) {
    TwoFactorUser user = signedIn(server, clock, email);
    user.enable();
    return user;
  }

  /**
   * Sudo at full strength (docs/security.md 25): the password, then with 2FA on a code from the app,
   * after which the clock moves on so the next code is fresh.
   */
  public void sudo(Browser b) {
    Response sudo = b.post("/api/me/sudo", new JsonObject().put("password", PASSWORD));
    if (sudo.status() == 200) {
      assertEquals("second_factor_required", sudo.json().getString("state"), sudo.toString());
      nextStep(); // a step of its own, whatever the test used before
      sudo = b.post("/api/me/sudo", new JsonObject().put("code", code()));
      nextStep();
    }
    assertEquals(204, sudo.status(), sudo.toString());
  }

  /** The seed's steps 2–5: set up, read the key from the QR code's URI, confirm with a code. */
  public void enable() {
    Response setup = browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    Response confirmed = browser.post("/api/me/two-factor/setup/confirm", new JsonObject().put("code", code()));
    assertEquals(200, confirmed.status(), confirmed.toString());
    recoveryCodes = confirmed.json().getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
    nextStep();
  }

  /** The code the app shows now, by the server's clock. */
  public String code() {
    return codeAt(0);
  }

  /**
   * Six digits that no step within the server's skew search would produce: a plainly wrong code,
   * not one a drifted clock could show (those are told and, when ahead, spent).
   */
  public String wrongCode() {
    java.util.Set<String> near = new java.util.HashSet<>();
    for (int offset = -TotpVerifier.SKEW_STEPS - 2; offset <= TotpVerifier.SKEW_STEPS + 2; offset++) {
      near.add(codeAt(offset));
    }
    for (int candidate = 0; ; candidate++) {
      String guess = String.format("%06d", (candidate * 137_911) % 1_000_000);
      if (!near.contains(guess)) {
        return guess;
      }
    }
  }

  /** The code of the step {@code offset} steps from now. */
  public String codeAt(int offset) {
    return Totp.STANDARD.codeAt(key, clock.instant().getEpochSecond() + 30L * offset);
  }

  /** Codes are single-use per step: tests move to the next step before the next sign-in. */
  public void nextStep() {
    clock.advance(Duration.ofSeconds(30));
  }

  /** A new browser that has done the password step and owes the second one. */
  public Browser pending() {
    Browser b = server.browser();
    Response step = b.signIn(email, PASSWORD);
    assertEquals(200, step.status(), step.toString());
    assertEquals("two_factor_required", step.json().getString("state"), step.toString());
    return b;
  }

  public static Response secondStep(Browser b, String field, Object value) {
    return b.post("/api/session/two-factor", new JsonObject().put(field, value));
  }
}
