package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.Race;
import dev.gatehouse.support.RunningServer;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Signing in with a passkey alone (docs/security.md 30, 44-47, 49), over HTTP: a discoverable passkey
 * with user verification is both factors, so nothing more is asked; the challenge costs an anonymous
 * visitor nothing and works once; the passkey must name its own account; a member of an organisation that
 * requires SSO is sent there; failed answers draw on budgets per account and per address. The refusals
 * shared with the other paths are in {@link PasskeyAssertionTest}.
 */
@ExtendWith(VertxExtension.class)
class PasswordlessSignInTest {

  static final String OPTIONS = "/api/session/passkey/options";
  static final String SIGN_IN = "/api/session/passkey";

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(CLOCK);
  static final RunningServer server = kit.server;

  @Test
  void a_passkey_with_user_verification_signs_in_alone_under_a_new_session_id() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = server.browser();
    JsonObject options = PasskeyUser.options(b, OPTIONS);
    assertEquals("required", options.getString("userVerification"));
    assertEquals(0, options.getJsonArray("allowCredentials").size(), "the passkey names the account");
    assertEquals("localhost", options.getString("rpId"));
    assertEquals(300_000, options.getLong("timeout"));
    assertEquals(40, Base64.getUrlDecoder().decode(options.getString("challenge")).length);
    String before = b.sessionId();

    Response signedIn = b.post(SIGN_IN, new JsonObject().put("passkey", user.authenticator.get(options)));
    assertEquals(200, signedIn.status(), signedIn.toString());
    assertEquals("signed_in", signedIn.json().getString("state"), "no further step");
    assertNotNull(b.sessionId());
    assertNotEquals(before, b.sessionId(), "the session id is rotated");
    assertEquals(user.person.email, b.get("/api/me").json().getJsonObject("user").getString("email"));

    JsonObject event = PasskeyAssertionTest.events(user).get(0);
    assertEquals("signin.succeeded", event.getString("type"));
    assertEquals("passkey", event.getJsonObject("details").getString("method"));
    assertTrue(event.getJsonObject("details").getBoolean("passwordless"));
  }

  @Test
  void an_anonymous_visitor_costs_no_row_and_a_challenge_is_written_down_only_by_its_sign_in() throws SQLException {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    long waiting = count("passkey_challenges");
    long used = count("passkey_used_sign_in_challenges");
    long sessions = count("sessions");
    Browser visitor = server.browser();
    for (int i = 0; i < 50; i++) {
      PasskeyUser.options(visitor, OPTIONS);
    }
    assertEquals(waiting, count("passkey_challenges"));
    assertEquals(used, count("passkey_used_sign_in_challenges"));
    assertEquals(sessions, count("sessions"), "and no session");

    assertEquals(200, user.signInWithoutPassword(server.browser()).status());
    assertEquals(used + 1, count("passkey_used_sign_in_challenges"));
  }

  @Test
  void parallel_uses_of_one_answer_sign_in_once() throws Exception {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    JsonObject answer = user.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS));
    List<Browser> browsers = List.of(server.browser(), server.browser(), server.browser(), server.browser(),
        server.browser(), server.browser());
    List<Response> answers = Race.of(browsers, b -> b.post(SIGN_IN, new JsonObject().put("passkey", answer)));
    assertEquals(1, answers.stream().filter(r -> r.status() == 200).count(), answers.toString());
    answers.stream().filter(r -> r.status() != 200).forEach(r -> assertRefused(r, "challenge"));
  }

  @Test
  void only_a_challenge_this_server_made_for_this_sign_in_is_accepted() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    JsonObject options = PasskeyUser.options(server.browser(), OPTIONS);
    byte[] challenge = Base64.getUrlDecoder().decode(options.getString("challenge"));
    challenge[39] ^= 1; // one bit of the MAC
    assertRefused(sign(user.authenticator.get(options.copy().put("challenge", encode(challenge)))), "challenge");
    challenge[39] ^= 1;
    challenge[7] ^= 1; // the expiry it names, moved
    assertRefused(sign(user.authenticator.get(options.copy().put("challenge", encode(challenge)))), "challenge");

    // A challenge made for a second step (kept for that account) is no sign-in challenge, and back.
    Browser pending = user.pending();
    JsonObject secondStep = PasskeyUser.options(pending, PasskeyOptions.SECOND_STEP);
    assertRefused(sign(user.authenticator.get(secondStep.put("allowCredentials", new JsonArray())
        .put("userVerification", "required"))), "challenge");
    Response crossed = PasskeyPath.SECOND_STEP.submit(pending, user.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS)));
    PasskeyPath.SECOND_STEP.assertRefused(crossed, "challenge");
  }

  @Test
  void the_passkey_must_name_its_own_account() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    PasskeyUser other = PasskeyUser.enrolled(server, CLOCK);

    JsonObject swapped = user.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS));
    String othersHandle = other.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS))
        .getJsonObject("response").getString("userHandle");
    swapped.getJsonObject("response").put("userHandle", othersHandle);
    assertRefused(sign(swapped), "credential");

    JsonObject anonymous = user.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS));
    anonymous.getJsonObject("response").putNull("userHandle");
    assertRefused(sign(anonymous), "credential");

    // A passkey its owner removed is nobody's any more.
    PasskeyUser leaving = PasskeyUser.signedIn(server, CLOCK);
    String id = leaving.registered("Old laptop");
    leaving.onAnotherDevice().registered("New laptop");
    assertEquals(204, leaving.browser.delete(PasskeySettings.PASSKEYS + "/" + id).status());
    assertRefused(leaving.signInWithoutPassword(server.browser()), "credential");
  }

  @Test
  void without_a_password_the_authenticator_must_have_verified_the_person() {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK, new EmulatedAuthenticator(PasskeyUser.ORIGIN, null, false));
    user.registered("Key without a PIN");
    Browser b = server.browser();
    // A client that does not ask the person to verify (no PIN, no fingerprint) sends no UV flag.
    assertRefused(b.post(SIGN_IN, new JsonObject().put("passkey",
        user.authenticator.get(PasskeyUser.options(b, OPTIONS).put("userVerification", "discouraged")))),
        "user_verification");
    assertEquals(401, b.get("/api/me").status());
  }

  @Test
  void a_member_of_an_organisation_that_requires_sso_is_sent_to_its_provider() {
    SsoKit.Org org = kit.organisation(false);
    String email = org.email("pat");
    Browser member = server.browser();
    SsoKit.ok(201, member.signUp(email, SsoKit.PASSWORD));
    SsoKit.ok(200, member.signIn(email, SsoKit.PASSWORD));
    SsoKit.ok(204, member.post("/api/me/sudo", new JsonObject().put("password", SsoKit.PASSWORD)));
    EmulatedAuthenticator authenticator = new EmulatedAuthenticator(PasskeyUser.ORIGIN);
    JsonObject creation = SsoKit.ok(200, member.post(PasskeySettings.REGISTRATION, new JsonObject())).json()
        .getJsonObject("publicKey");
    SsoKit.ok(201, member.post(PasskeySettings.PASSKEYS, new JsonObject().put("name", "Laptop")
        .put("credential", authenticator.create(creation))));
    kit.switchSso(org, true);

    Browser b = server.browser();
    Response sent = b.post(SIGN_IN, new JsonObject().put("passkey", authenticator.get(PasskeyUser.options(b, OPTIONS))));
    assertEquals(403, sent.status(), sent.toString());
    assertEquals("sso_required", sent.code());
    assertEquals("/sso/" + org.slug() + "/start?login_hint=" + email.replace("@", "%40"), sent.json().getString("ssoUrl"));
    assertEquals(401, b.get("/api/me").status(), "not signed in");
  }

  @Test
  void ten_failed_answers_block_the_passkeys_owner_but_not_their_password() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    for (int i = 1; i <= 9; i++) {
      assertRefused(sign(user.authenticator.on("http://gatehouse.example")
          .get(PasskeyUser.options(server.browser(), OPTIONS))), "origin");
    }
    Response tenth = sign(user.authenticator.get(PasskeyUser.options(server.browser(), OPTIONS)));
    assertEquals(429, tenth.status(), tenth.toString());
    assertNotNull(tenth.header("Retry-After"));
    user.authenticator.on(PasskeyUser.ORIGIN);
    Response right = user.signInWithoutPassword(server.browser());
    assertEquals(429, right.status(), "while blocked, even the right passkey: " + right);

    List<String> types = PasskeyAssertionTest.events(user).stream().map(e -> e.getString("type")).toList();
    assertEquals("signin.locked", types.get(0));
    assertEquals(10, types.stream().filter(Passwordless.FAILED::equals).count());

    // The password and the second step have budgets of their own.
    Browser b = user.pending();
    assertEquals(200, user.secondStep(b).status());
  }

  @Test
  void failed_answers_from_one_address_block_it_whatever_the_passkey(Vertx vertx) {
    try (TestServer strict = TestServer.start(vertx, new JsonObject().put("GATEHOUSE_PASSKEY_ADDRESS_LIMIT", 3), CLOCK)) {
      PasskeyUser first = PasskeyUser.enrolled(strict, CLOCK);
      PasskeyUser second = PasskeyUser.enrolled(strict, CLOCK);
      PasskeyUser third = PasskeyUser.enrolled(strict, CLOCK);
      for (PasskeyUser user : List.of(first, second)) {
        assertRefused(sign(strict, user.authenticator.on("http://gatehouse.example")
            .get(PasskeyUser.options(strict.browser(), OPTIONS))), "origin");
        user.authenticator.on(PasskeyUser.ORIGIN);
      }
      // A passkey nobody has (made, never added) counts too.
      EmulatedAuthenticator stray = new EmulatedAuthenticator(PasskeyUser.ORIGIN);
      stray.create(third.registrationOptions());
      JsonObject unknown = stray.get(PasskeyUser.options(strict.browser(), OPTIONS));
      Response thirdFailure = sign(strict, unknown);
      assertEquals(429, thirdFailure.status(), "the third failure from this address blocks it: " + thirdFailure);
      Response right = third.signInWithoutPassword(strict.browser());
      assertEquals(429, right.status(), "then even another account's right passkey waits: " + right);
    }
  }

  private static Response sign(JsonObject answer) {
    return sign(server, answer);
  }

  private static Response sign(RunningServer on, JsonObject answer) {
    return on.browser().post(SIGN_IN, new JsonObject().put("passkey", answer));
  }

  private static void assertRefused(Response answer, String reason) {
    PasskeyPath.PASSWORDLESS.assertRefused(answer, reason);
  }

  private static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static long count(String table) {
    return server.count("SELECT count(*) FROM " + table);
  }
}
