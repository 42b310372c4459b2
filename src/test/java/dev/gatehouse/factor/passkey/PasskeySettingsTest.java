package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.factor.totp.Base32;
import dev.gatehouse.factor.totp.Totp;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.Race;
import dev.gatehouse.support.SecurityLog;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Passkeys in Account settings over HTTP: adding one (behind sudo, with a server challenge), listing,
 * renaming and removing them, and what that does to two-factor authentication and its recovery codes
 * (docs/security.md 15, 17, 44, 45, 48).
 */
class PasskeySettingsTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  static final UUID ICLOUD = UUID.fromString("fbfc3007-154e-4ecc-8c0b-6e020557d7bd");
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  @Test
  void the_creation_options_name_our_site_a_random_user_handle_and_a_fresh_challenge() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    Response answer = user.browser.post(PasskeySettings.REGISTRATION, new JsonObject());
    assertEquals(200, answer.status(), answer.toString());
    assertEquals("no-store", answer.header("Cache-Control"));
    JsonObject options = answer.json().getJsonObject("publicKey");

    assertEquals(new JsonObject().put("id", "localhost").put("name", "Gatehouse"), options.getJsonObject("rp"));
    assertEquals("none", options.getString("attestation"));
    assertEquals("preferred", options.getJsonObject("authenticatorSelection").getString("residentKey"));
    assertEquals("preferred", options.getJsonObject("authenticatorSelection").getString("userVerification"));
    assertEquals(300_000, options.getLong("timeout"));
    assertEquals(List.of(-7, -8, -257), options.getJsonArray("pubKeyCredParams").stream()
        .map(p -> ((JsonObject) p).getInteger("alg")).toList());
    assertEquals(32, decode(options.getString("challenge")).length);

    JsonObject person = options.getJsonObject("user");
    assertEquals(user.person.email, person.getString("name"), "the name the browser shows is the email");
    byte[] handle = decode(person.getString("id"));
    assertEquals(32, handle.length, "the user handle is 32 random bytes");
    assertFalse(new String(handle, java.nio.charset.StandardCharsets.ISO_8859_1).contains(user.person.email));
    assertNotEquals(user.id.toString(), person.getString("id"));

    JsonObject again = user.registrationOptions();
    assertEquals(person.getString("id"), again.getJsonObject("user").getString("id"), "one handle per account");
    assertNotEquals(options.getString("challenge"), again.getString("challenge"), "a challenge per ceremony");
    assertNotEquals(person.getString("id"), PasskeyUser.signedIn(server, CLOCK).registrationOptions()
        .getJsonObject("user").getString("id"), "and every account its own");
  }

  @Test
  void adding_a_passkey_needs_a_signed_in_session_and_sudo() {
    Browser anonymous = server.browser();
    assertEquals(401, anonymous.post(PasskeySettings.REGISTRATION, new JsonObject()).status());
    assertEquals(401, anonymous.get(PasskeySettings.PASSKEYS).status());

    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    JsonObject credential = user.authenticator.create(user.registrationOptions());
    CLOCK.advance(Duration.ofMinutes(11));
    Response late = user.browser.post(PasskeySettings.PASSKEYS, new JsonObject().put("name", "Laptop")
        .put("credential", credential));
    assertEquals(403, late.status(), late.toString());
    assertEquals("sudo_required", late.code());
    assertEquals(403, user.browser.post(PasskeySettings.REGISTRATION, new JsonObject()).status());
    assertEquals(0, list(user).size(), "nothing was added");
  }

  @Test
  void the_first_passkey_turns_two_factor_on_and_hands_out_recovery_codes_and_the_next_does_not() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    Response first = user.register("MacBook Touch ID");
    assertEquals(201, first.status(), first.toString());
    assertEquals("no-store", first.header("Cache-Control"));
    JsonObject passkey = first.json().getJsonObject("passkey");
    assertEquals("MacBook Touch ID", passkey.getString("name"));
    assertNull(passkey.getString("lastUsedAt"));
    JsonArray codes = first.json().getJsonArray("recoveryCodes");
    assertEquals(10, codes.size());

    JsonObject twoFactor = user.browser.get("/api/me").json().getJsonObject("twoFactor");
    assertTrue(twoFactor.getBoolean("enabled"));
    assertEquals(new JsonArray().add("passkey").add("recovery_code"), twoFactor.getJsonArray("methods"));
    assertEquals(10, twoFactor.getInteger("recoveryCodesRemaining"));
    assertEquals(200, user.browser.get("/api/me/two-factor/recovery-codes").status(), "the codes can be seen again");

    Response second = user.onAnotherDevice().register("Phone");
    assertEquals(201, second.status(), second.toString());
    assertFalse(second.json().containsKey("recoveryCodes"), "the codes are handed out once");
    assertEquals(List.of("MacBook Touch ID", "Phone"), list(user).stream().map(p -> p.getString("name")).toList());

    List<String> events = events(user);
    assertEquals(List.of("passkey.added", "two_factor.enabled", "passkey.added"), events.subList(0, 3));
  }

  @Test
  void a_passkey_only_account_is_asked_for_its_second_step_after_the_password() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    user.registered("Laptop");
    Response step = server.browser().signIn(user.person.email, TwoFactorUser.PASSWORD);
    assertEquals("two_factor_required", step.json().getString("state"), step.toString());
  }

  @Test
  void a_refused_registration_stores_nothing_and_says_why() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);

    JsonObject phished = user.authenticator.on("http://gatehouse.example").create(user.registrationOptions());
    user.authenticator.on(PasskeyUser.ORIGIN);
    assertRefused(user, phished, "origin");

    JsonObject otherSite = user.authenticator.create(user.registrationOptions()
        .put("rp", new JsonObject().put("id", "evil.example").put("name", "Evil")));
    assertRefused(user, otherSite, "rp_id");

    PasskeyUser phone = user.onAnotherDevice();
    JsonObject made = phone.authenticator.create(user.registrationOptions());
    assertEquals(201, add(user, made).status());
    assertRefused(user, made, "challenge");

    JsonObject late = new EmulatedAuthenticator(PasskeyUser.ORIGIN).create(user.registrationOptions());
    CLOCK.advance(PasskeyCeremony.CHALLENGE_LIFETIME.plusSeconds(1));
    phone.sudo();
    assertRefused(user, late, "challenge");
    assertEquals(1, list(user).size());
  }

  @Test
  void malformed_answers_and_names_are_400s_that_change_nothing() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    JsonObject good = user.authenticator.create(user.registrationOptions());
    List<Object> bad = List.of("a string", new JsonObject(), good.copy().put("type", "password"),
        good.copy().put("id", "not base64!"), good.copy().put("rawId", "AAAA"),
        good.copy().put("extra", true), withResponse(good, "clientDataJSON", "e30"),
        withResponse(good, "attestationObject", "AAAA"), withResponse(good, "transports", "usb"),
        withResponse(good, "clientDataJSON", 7));
    for (Object credential : bad) {
      Response refused = add(user, credential);
      assertEquals(400, refused.status(), credential + " → " + refused);
      assertEquals("malformed_passkey", refused.code(), refused.toString());
    }
    for (Object name : List.of("", "   ", "x".repeat(65), "tab\there", 42)) {
      Response refused = user.browser.post(PasskeySettings.PASSKEYS, new JsonObject().put("name", name)
          .put("credential", good));
      assertEquals(400, refused.status(), name + " → " + refused);
      assertEquals("invalid_field", refused.code());
    }
    assertEquals(0, list(user).size());
    assertEquals(201, add(user, good).status(), "the challenge survived the malformed tries");
  }

  @Test
  void the_list_names_known_authenticators_and_a_passkey_can_be_renamed_without_sudo() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK, new EmulatedAuthenticator(PasskeyUser.ORIGIN, ICLOUD, true));
    String id = user.registered("  iPhone  ");
    JsonObject listed = list(user).get(0);
    assertEquals("iPhone", listed.getString("name"), "trimmed");
    assertEquals("iCloud Keychain", listed.getString("authenticator"));
    assertEquals(id, listed.getString("id"));
    assertTrue(listed.containsKey("createdAt") && listed.containsKey("lastUsedAt"));

    CLOCK.advance(Duration.ofMinutes(11)); // sudo has lapsed: renaming does not need it
    Response renamed = user.browser.put(PasskeySettings.PASSKEYS + "/" + id, new JsonObject().put("name", "Work phone"));
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals("Work phone", renamed.json().getJsonObject("passkey").getString("name"));
    assertEquals(400, user.browser.put(PasskeySettings.PASSKEYS + "/" + id, new JsonObject().put("name", "")).status());
    assertEquals("Work phone", list(user).get(0).getString("name"));

    PasskeyUser other = PasskeyUser.signedIn(server, CLOCK);
    Response foreign = other.browser.put(PasskeySettings.PASSKEYS + "/" + id, new JsonObject().put("name", "Mine"));
    assertEquals(404, foreign.status());
    assertEquals("passkey_not_found", foreign.code());
    assertEquals(404, other.browser.put(PasskeySettings.PASSKEYS + "/not-a-uuid", new JsonObject().put("name", "x"))
        .status());
    assertEquals("Work phone", list(user).get(0).getString("name"));

    PasskeyUser unknown = PasskeyUser.signedIn(server, CLOCK);
    unknown.registered("Key");
    assertNull(list(unknown).get(0).getString("authenticator"), "an unknown model has no name, not a guess");
  }

  @Test
  void removing_a_passkey_needs_sudo_and_the_last_one_a_confirmation_that_two_factor_goes_off() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    String first = user.registered("Laptop");
    String second = user.onAnotherDevice().registered("Phone");

    PasskeyUser other = PasskeyUser.signedIn(server, CLOCK);
    assertEquals(404, other.browser.delete(PasskeySettings.PASSKEYS + "/" + first).status(), "not another's");

    CLOCK.advance(Duration.ofMinutes(11));
    Response withoutSudo = user.browser.delete(PasskeySettings.PASSKEYS + "/" + first);
    assertEquals(403, withoutSudo.status());
    assertEquals("sudo_required", withoutSudo.code());
    user.sudo();

    assertEquals(204, user.browser.delete(PasskeySettings.PASSKEYS + "/" + first).status());
    assertEquals(List.of(second), list(user).stream().map(p -> p.getString("id")).toList());
    assertEquals(404, user.browser.delete(PasskeySettings.PASSKEYS + "/" + first).status(), "gone already");

    Response last = user.browser.delete(PasskeySettings.PASSKEYS + "/" + second);
    assertEquals(409, last.status(), last.toString());
    assertEquals("turns_two_factor_off", last.code());
    assertTrue(last.json().getString("detail").contains("turns two-factor authentication off"));
    assertEquals(1, list(user).size(), "nothing removed without the confirmation");
    assertTrue(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));

    Response confirmed = user.browser.delete(PasskeySettings.PASSKEYS + "/" + second,
        new JsonObject().put("turnOffTwoFactor", true));
    assertEquals(204, confirmed.status(), confirmed.toString());
    assertEquals(0, list(user).size());
    assertFalse(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    assertEquals(409, user.browser.get("/api/me/two-factor/recovery-codes").status(), "the recovery codes went too");
    Response signIn = server.browser().signIn(user.person.email, TwoFactorUser.PASSWORD);
    assertEquals("signed_in", signIn.json().getString("state"));

    List<String> events = events(user);
    assertEquals(List.of("passkey.removed", "two_factor.disabled", "passkey.removed"), events.subList(0, 3));
  }

  @Test
  void adding_or_removing_a_passkey_ends_the_accounts_other_sessions_and_keeps_this_one() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    Browser elsewhere = server.browser();
    assertEquals("signed_in", elsewhere.signIn(user.person.email, TwoFactorUser.PASSWORD).json().getString("state"));
    Browser halfway = server.browser();
    String before = user.browser.sessionId();

    String first = user.registered("Laptop");
    assertEquals(401, elsewhere.get("/api/me").status(), "the other session ended");
    assertNotEquals(before, user.browser.sessionId(), "this one goes on under a new id");
    assertEquals(200, user.browser.get("/api/me").status());
    assertEquals(1, lastEvent(user, "passkey.added").getInteger("sessionsEnded"));

    // A pending sign-in (password given, passkey owed) is a session of the account too.
    assertEquals("two_factor_required", halfway.signIn(user.person.email, TwoFactorUser.PASSWORD).json()
        .getString("state"));
    Browser another = user.pending();
    assertEquals(200, user.secondStep(another).status());
    PasskeyUser phone = user.onAnotherDevice();
    phone.registered("Phone");
    assertEquals(401, another.get("/api/me").status());
    // Even the right passkey cannot finish the half-finished sign-in: it ended too.
    JsonObject answer = user.authenticator.get(PasskeyUser.options(user.pending(), PasskeyOptions.SECOND_STEP));
    Response late = TwoFactorUser.secondStep(halfway, PasskeyFactor.FIELD, answer);
    assertTrue(late.status() == 401 || late.status() == 403, late.toString());
    assertEquals(401, halfway.get("/api/me").status());

    Browser third = user.pending();
    assertEquals(200, user.secondStep(third).status());
    Response removed = user.browser.delete(PasskeySettings.PASSKEYS + "/" + first);
    assertEquals(204, removed.status(), removed.toString());
    assertEquals(401, third.get("/api/me").status());
    assertEquals(200, user.browser.get("/api/me").status());
    // The signed-in third, and the sign-in left half way that fetched the options above.
    assertEquals(2, lastEvent(user, "passkey.removed").getInteger("sessionsEnded"));

    // A removal refused (the last factor, unconfirmed) ends nothing.
    Browser fourth = user.pending();
    String last = list(user).get(0).getString("id");
    assertEquals(409, user.browser.delete(PasskeySettings.PASSKEYS + "/" + last).status());
    assertEquals(200, phone.secondStep(fourth).status(), "still waiting for its passkey");
  }

  private static JsonObject lastEvent(PasskeyUser user, String type) {
    return SecurityLog.lastEvent(user.browser, type).getJsonObject("details");
  }

  @Test
  void an_authenticator_app_and_passkeys_share_one_set_of_recovery_codes_and_2fa_goes_off_as_a_whole() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    List<String> codes = user.register("Laptop").json().getJsonArray("recoveryCodes").stream()
        .map(String::valueOf).toList();

    // Adding the app keeps the codes the passkey handed out.
    Response setup = user.browser.post("/api/me/two-factor/setup", new JsonObject());
    assertEquals(201, setup.status(), setup.toString());
    byte[] key = Base32.decode(setup.json().getString("secret")).orElseThrow();
    Response confirmed = user.browser.post("/api/me/two-factor/setup/confirm",
        new JsonObject().put("code", Totp.STANDARD.codeAt(key, CLOCK.instant().getEpochSecond())));
    assertEquals(200, confirmed.status(), confirmed.toString());
    assertFalse(confirmed.json().containsKey("recoveryCodes"));
    assertEquals(codes, user.browser.get("/api/me/two-factor/recovery-codes").json().getJsonArray("codes").stream()
        .map(c -> ((JsonObject) c).getString("code")).toList());
    assertEquals(new JsonArray().add("totp").add("passkey").add("recovery_code"),
        user.browser.get("/api/me").json().getJsonObject("twoFactor").getJsonArray("methods"));

    // With the app still there, the passkey goes without a confirmation, and 2FA stays on.
    String passkey = list(user).get(0).getString("id");
    assertEquals(204, user.browser.delete(PasskeySettings.PASSKEYS + "/" + passkey).status());
    assertTrue(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    assertEquals(10, user.browser.get("/api/me").json().getJsonObject("twoFactor").getInteger("recoveryCodesRemaining"));

    // Turning 2FA off takes every factor with it: the app, the passkeys and the codes.
    user.registered("Phone");
    Response off = user.browser.delete("/api/me/two-factor");
    assertEquals(204, off.status(), off.toString());
    assertEquals(0, list(user).size());
    assertFalse(user.browser.get("/api/me").json().getJsonObject("twoFactor").getBoolean("enabled"));
    assertEquals("signed_in", server.browser().signIn(user.person.email, TwoFactorUser.PASSWORD).json()
        .getString("state"));
  }

  private static void assertRefused(PasskeyUser user, JsonObject credential, String reason) {
    Response refused = add(user, credential);
    assertEquals(400, refused.status(), refused.toString());
    assertEquals("passkey_refused", refused.code(), refused.toString());
    assertEquals(reason, refused.json().getString("reason"), refused.toString());
  }

  private static Response add(PasskeyUser user, Object credential) {
    return user.browser.post(PasskeySettings.PASSKEYS, new JsonObject().put("name", "Laptop").put("credential", credential));
  }

  private static JsonObject withResponse(JsonObject credential, String member, Object value) {
    JsonObject copy = credential.copy();
    copy.getJsonObject("response").put(member, value);
    return copy;
  }

  private static List<JsonObject> list(PasskeyUser user) {
    Response listed = user.browser.get(PasskeySettings.PASSKEYS);
    assertEquals(200, listed.status(), listed.toString());
    return listed.json().getJsonArray("passkeys").stream().map(p -> (JsonObject) p).toList();
  }

  /** The account's passkey and two-factor events, newest first. */
  private static List<String> events(PasskeyUser user) {
    return user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type"))
        .filter(type -> type.startsWith("passkey.") || type.startsWith("two_factor."))
        .toList();
  }

  private static byte[] decode(String base64url) {
    return Base64.getUrlDecoder().decode(base64url);
  }

  @Test
  void two_first_factors_added_at_once_from_two_sessions_take_turns_and_hand_out_one_set_of_codes() throws Exception {
    // The same person adds a passkey on the laptop and on the phone at the same instant; 2FA is off.
    PasskeyUser laptop = PasskeyUser.signedIn(server, CLOCK);
    Browser phone = server.browser();
    assertEquals(200, phone.signIn(laptop.person.email, TwoFactorUser.PASSWORD).status());
    assertEquals(204, phone.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD)).status());
    JsonObject fromLaptop = laptop.authenticator.create(laptop.registrationOptions());
    Response phoneOptions = phone.post(PasskeySettings.REGISTRATION, new JsonObject());
    assertEquals(200, phoneOptions.status(), phoneOptions.toString());
    JsonObject fromPhone = new EmulatedAuthenticator(PasskeyUser.ORIGIN)
        .create(phoneOptions.json().getJsonObject("publicKey"));

    List<Response> answers = Race.of(List.of(laptop.browser, phone), b -> b.post(PasskeySettings.PASSKEYS,
        new JsonObject().put("name", b == phone ? "Phone" : "Laptop").put("credential", b == phone ? fromPhone : fromLaptop)));

    // The first to take its turn adds its passkey, turns 2FA on and ends the other session; the other,
    // whose session that ended, is refused and adds nothing (docs/security.md 50).
    assertEquals(List.of(201, 401), answers.stream().map(Response::status).sorted().toList(), answers.toString());
    Response won = answers.stream().filter(a -> a.status() == 201).findFirst().orElseThrow();
    JsonArray shown = won.json().getJsonArray("recoveryCodes");
    assertEquals(10, shown.size(), won.toString());
    assertEquals(1, server.count("SELECT count(*) FROM passkey_credentials WHERE user_id = '" + laptop.id + "'"));
    assertEquals(10, server.count("SELECT count(*) FROM recovery_codes WHERE user_id = '" + laptop.id + "'"),
        "one set of codes, the one that was shown");
    Browser later = server.browser();
    assertEquals(200, later.signIn(laptop.person.email, TwoFactorUser.PASSWORD).status());
    assertEquals(200, TwoFactorUser.secondStep(later, "recoveryCode", shown.getString(0)).status(),
        "the codes the person was shown are the ones that work");
  }
}
