package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A person with a browser signed in (with sudo) and a passkey provider of their own; everything goes
 * through the HTTP API like the web app: adding a passkey, the second step, sudo and signing in without
 * a password.
 */
final class PasskeyUser {

  /** What the test servers' public URL makes the one origin passkeys are accepted from. */
  static final String ORIGIN = "http://localhost:8080";

  final TwoFactorUser person;
  final Browser browser;
  final EmulatedAuthenticator authenticator;
  final UUID id;

  private PasskeyUser(TwoFactorUser person, EmulatedAuthenticator authenticator, UUID id) {
    this.person = person;
    this.browser = person.browser;
    this.authenticator = authenticator;
    this.id = id;
  }

  private PasskeyUser(TwoFactorUser person, EmulatedAuthenticator authenticator) {
    this(person, authenticator,
        UUID.fromString(person.browser.get("/api/me").json().getJsonObject("user").getString("id")));
  }

  /** The same person in the same browser, with a second passkey provider (a phone beside the laptop). */
  PasskeyUser onAnotherDevice() {
    return new PasskeyUser(person, new EmulatedAuthenticator(ORIGIN), id);
  }

  static PasskeyUser signedIn(RunningServer server, MutableClock clock) {
    return new PasskeyUser(TwoFactorUser.signedIn(server, clock), new EmulatedAuthenticator(ORIGIN));
  }

  static PasskeyUser signedIn(RunningServer server, MutableClock clock, EmulatedAuthenticator authenticator) {
    return new PasskeyUser(TwoFactorUser.signedIn(server, clock), authenticator);
  }

  /** Signed in, with one passkey ("Laptop") as the account's only second factor. */
  static PasskeyUser enrolled(RunningServer server, MutableClock clock) {
    PasskeyUser user = signedIn(server, clock);
    user.registered("Laptop");
    return user;
  }

  /** The creation options the server hands out (the {@code publicKey} member). */
  JsonObject registrationOptions() {
    Response options = browser.post(PasskeySettings.REGISTRATION, new JsonObject());
    assertEquals(200, options.status(), options.toString());
    return options.json().getJsonObject("publicKey");
  }

  /** Options, the authenticator's new credential, and the POST that stores it under {@code name}. */
  Response register(String name) {
    JsonObject credential = authenticator.create(registrationOptions());
    return browser.post(PasskeySettings.PASSKEYS, new JsonObject().put("name", name).put("credential", credential));
  }

  /** Registers and insists it worked; answers the passkey's id. */
  String registered(String name) {
    Response added = register(name);
    assertEquals(201, added.status(), added.toString());
    return added.json().getJsonObject("passkey").getString("id");
  }

  /** A new browser that has done the password step and owes the second one. */
  Browser pending() {
    return person.pending();
  }

  /** Request options from {@code path} in {@code b} (the {@code publicKey} member). */
  static JsonObject options(Browser b, String path) {
    Response options = b.post(path, new JsonObject());
    assertEquals(200, options.status(), options.toString());
    assertEquals("no-store", options.header("Cache-Control"));
    return options.json().getJsonObject("publicKey");
  }

  /** The second step with this person's passkey, in a browser that owes it. */
  Response secondStep(Browser b) {
    return TwoFactorUser.secondStep(b, PasskeyFactor.FIELD, authenticator.get(options(b, PasskeyOptions.SECOND_STEP)));
  }

  /** Sudo at full strength: the password, then this person's passkey. */
  void sudo() {
    Response half = browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertEquals(200, half.status(), half.toString());
    assertEquals("second_factor_required", half.json().getString("state"), half.toString());
    Response sudo = browser.post("/api/me/sudo",
        new JsonObject().put(PasskeyFactor.FIELD, authenticator.get(options(browser, PasskeyOptions.SUDO))));
    assertEquals(204, sudo.status(), sudo.toString());
  }

  /** Signing in with the passkey alone, in {@code b}. */
  Response signInWithoutPassword(Browser b) {
    return b.post("/api/session/passkey", new JsonObject().put(PasskeyFactor.FIELD,
        authenticator.get(options(b, "/api/session/passkey/options"))));
  }
}
