package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.webauthn4j.converter.AttestationObjectConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.Race;
import dev.gatehouse.support.SecurityLog;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A passkey after the password, and every refusal of a passkey answer, on each path that takes one (the
 * second sign-in step, sudo, and where the case applies the sign-in without a password), over HTTP
 * against the real server and PostgreSQL, with webauthn4j-test's authenticator as the browser's passkey
 * provider: a look-alike origin, another relying party, a replayed or expired challenge, a counter that
 * went backwards, another account's passkey, a cancelled prompt and malformed answers
 * (docs/security.md 23, 44-47). Each refusal is counted like a wrong code; a malformed answer is not.
 */
class PasskeyAssertionTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  @Test
  void the_password_step_offers_the_passkey_and_only_a_pending_sign_in_gets_its_options() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Response step = server.browser().signIn(user.person.email, TwoFactorUser.PASSWORD);
    assertEquals(new JsonArray().add("passkey").add("recovery_code"), step.json().getJsonArray("methods"));
    Response half = user.browser.post("/api/me/sudo",
        new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertEquals(new JsonArray().add("passkey").add("recovery_code"), half.json().getJsonArray("methods"));

    assertEquals("two_factor_expired", server.browser().post(PasskeyOptions.SECOND_STEP, new JsonObject()).code(),
        "no sign-in waiting");
    assertEquals("two_factor_expired", user.browser.post(PasskeyOptions.SECOND_STEP, new JsonObject()).code(),
        "a signed-in session has no second step to give");
    assertEquals("not_signed_in", server.browser().post(PasskeyOptions.SUDO, new JsonObject()).code());
    Browser pending = user.pending();
    CLOCK.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertEquals(401, pending.post(PasskeyOptions.SECOND_STEP, new JsonObject()).status(), "after 5 minutes");

    Browser totpOnly = TwoFactorUser.enrolled(server, CLOCK).pending();
    Response none = totpOnly.post(PasskeyOptions.SECOND_STEP, new JsonObject());
    assertEquals(409, none.status(), none.toString());
    assertEquals("no_passkey", none.code());
  }

  @ParameterizedTest
  @EnumSource(value = PasskeyPath.class, names = {"SECOND_STEP", "SUDO"})
  void the_accounts_passkey_passes_and_its_counter_and_last_use_move_on(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    String id = passkeyIds(user).get(0);
    Browser b = path.browser(server, user);
    JsonObject options = path.options(b);
    assertEquals("localhost", options.getString("rpId"));
    assertEquals("preferred", options.getString("userVerification"), "after the password, presence is enough");
    assertEquals(300_000, options.getLong("timeout"));
    assertEquals(1, options.getJsonArray("allowCredentials").size(), "the account's own passkey is offered");

    path.assertAccepted(path.submit(b, user.authenticator.get(options)));
    long first = signCount(id);
    assertTrue(first > 0, "the authenticator's counter is stored");
    assertNotNull(list(user).get(0).getString("lastUsedAt"), "the list shows when it was last used");
    if (path == PasskeyPath.SECOND_STEP) {
      assertEquals(200, b.get("/api/me").status(), "signed in, no further step");
    }
    assertEquals(path == PasskeyPath.SECOND_STEP ? "signin.succeeded" : "sudo.granted", events(user).get(0).getString("type"));
    assertEquals("passkey", events(user).get(0).getJsonObject("details").getString("method"));

    path.assertAccepted(path.use(path.browser(server, user), user.authenticator));
    assertTrue(signCount(id) > first, "and moves on with every use");
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void an_answer_made_on_a_look_alike_site_is_refused_and_logged(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = path.browser(server, user);
    int attemptsLeft = 4;
    for (String phishing : List.of("http://localhost:8081", "https://localhost:8080", "http://gatehouse.example")) {
      JsonObject options = path.options(b);
      try (LogCapture log = LogCapture.attach()) {
        Response refused = path.submit(b, user.authenticator.on(phishing).get(options));
        path.assertRefused(refused, "origin");
        assertTrue(log.text().contains("was refused (only http://localhost:8080 is ours)"), log.text());
        if (path == PasskeyPath.SECOND_STEP) {
          assertEquals(attemptsLeft--, refused.json().getInteger("attemptsLeft"), "counted like a wrong code");
        }
      }
    }
    path.assertAccepted(path.use(b, user.authenticator.on(PasskeyUser.ORIGIN)));
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void a_passkey_made_for_another_relying_party_is_refused(PasskeyPath path) throws Exception {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    // A credential the authenticator holds for evil.example, on the account as if it had been made for us.
    JsonObject foreign = user.authenticator.create(user.registrationOptions().put("rp",
        new JsonObject().put("id", "evil.example").put("name", "Evil")));
    AttestedCredentialData attested = new AttestationObjectConverter(new ObjectConverter())
        .convert(EmulatedAuthenticator.decode(foreign.getJsonObject("response").getString("attestationObject")))
        .getAuthenticatorData().getAttestedCredentialData();
    new PasskeyStore().insert(server.app().pool(), user.id, new PasskeyStore.NewCredential(attested.getCredentialId(),
            new ObjectConverter().getCborConverter().writeValueAsBytes(attested.getCOSEKey()), 0, "Foreign", null,
            List.of(), false, false))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    Browser b = path.browser(server, user);
    path.assertRefused(path.submit(b, user.authenticator.get(path.options(b).put("rpId", "evil.example"))), "rp_id");
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void an_answer_works_once_and_its_challenge_for_5_minutes(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = path.browser(server, user);
    JsonObject answer = user.authenticator.get(path.options(b));
    path.assertAccepted(path.submit(b, answer));
    path.assertRefused(path.submit(path.browser(server, user), answer), "challenge");

    // Made, then left for more than 5 minutes (in a sign-in or sudo that is itself still fresh).
    JsonObject late = user.authenticator.get(path.options(path.browser(server, user)));
    CLOCK.advance(Duration.ofMinutes(4));
    Browser fresh = path.browser(server, user);
    CLOCK.advance(Duration.ofSeconds(61));
    path.assertRefused(path.submit(fresh, late), "challenge");
    path.assertAccepted(path.use(fresh, user.authenticator));
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void a_counter_that_goes_backwards_is_refused_logged_and_told_to_the_owner(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    String id = passkeyIds(user).get(0);
    Browser b = path.browser(server, user);
    // Two answers made in turn: the earlier one, sent last, carries the lower count, as a copy's would.
    JsonObject earlier = user.authenticator.get(path.options(b));
    JsonObject later = user.authenticator.get(path.options(b));
    path.assertAccepted(path.submit(b, later));
    long stored = signCount(id);
    try (LogCapture log = LogCapture.attach()) {
      path.assertRefused(path.submit(path.browser(server, user), earlier), "counter");
      assertTrue(log.text().contains("Passkey " + id + " of user " + user.id
          + " was refused: its signature counter did not move forward"), log.text());
      assertTrue(log.text().contains("cloned authenticator"), log.text());
    }
    assertEquals(stored, signCount(id), "the stored count stays where it was");
    JsonObject told = events(user).stream().filter(e -> e.getString("type").equals(PasskeyFactor.COUNTER_WENT_BACK))
        .findFirst().orElseThrow();
    assertEquals("Laptop", told.getJsonObject("details").getString("name"));

    user.authenticator.counting(false);
    path.assertRefused(path.use(path.browser(server, user), user.authenticator), "counter");
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void an_authenticator_without_a_counter_always_sends_zero_and_is_accepted(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK, new EmulatedAuthenticator(PasskeyUser.ORIGIN).counting(false));
    String id = user.registered("Phone");
    for (int i = 0; i < 2; i++) {
      path.assertAccepted(path.use(path.browser(server, user), user.authenticator));
    }
    assertEquals(0, signCount(id));
    // With no counter to catch it, the challenge alone makes an answer single-use.
    Browser b = path.browser(server, user);
    JsonObject answer = user.authenticator.get(path.options(b));
    path.assertAccepted(path.submit(b, answer));
    path.assertRefused(path.submit(path.browser(server, user), answer), "challenge");
  }

  @ParameterizedTest
  @EnumSource(value = PasskeyPath.class, names = {"SECOND_STEP", "SUDO"})
  void another_accounts_passkey_is_refused(PasskeyPath path) {
    PasskeyUser victim = PasskeyUser.enrolled(server, CLOCK);
    PasskeyUser attacker = PasskeyUser.enrolled(server, CLOCK);
    // The attacker has the victim's password: their client ignores the victim's allowed credentials and
    // answers with the attacker's own passkey.
    Browser b = path.browser(server, victim);
    JsonObject options = path.options(b);
    options.remove("allowCredentials");
    path.assertRefused(path.submit(b, attacker.authenticator.get(options)), "credential");
  }

  @ParameterizedTest
  @EnumSource(value = PasskeyPath.class, names = {"SECOND_STEP", "SUDO"})
  void after_the_password_a_passkey_without_user_verification_is_enough(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK, new EmulatedAuthenticator(PasskeyUser.ORIGIN, null, false));
    user.registered("Key without a PIN");
    Browser b = path.browser(server, user);
    path.assertAccepted(path.submit(b, user.authenticator.get(path.options(b).put("userVerification", "discouraged"))));
  }

  @ParameterizedTest
  @EnumSource(PasskeyPath.class)
  void malformed_answers_are_400s_that_count_nothing(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = path.browser(server, user);
    JsonObject good = user.authenticator.get(path.options(b));
    List<Object> bad = List.of("a string", 42, new JsonObject(), new JsonArray(), good.copy().put("type", "password"),
        good.copy().put("id", "not base64!"), good.copy().put("rawId", "AAAA"), good.copy().put("extra", true),
        withResponse(good, "clientDataJSON", "e30"), withResponse(good, "authenticatorData", "AAAA"),
        withResponse(good, "signature", ""), withResponse(good, "userHandle", 7));
    for (Object answer : bad) {
      Response refused = path.submit(b, answer);
      assertEquals(400, refused.status(), answer + " → " + refused);
      assertEquals("malformed_passkey", refused.code(), refused.toString());
      assertEquals("passkey", refused.json().getString("field"));
    }
    // Twelve of them, more than the budget's ten: none was counted, and the answer still works.
    path.assertAccepted(path.submit(b, good));
  }

  @ParameterizedTest
  @EnumSource(value = PasskeyPath.class, names = {"SECOND_STEP", "SUDO"})
  void a_cancelled_prompt_counts_like_a_wrong_code(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = path.browser(server, user);
    Response cancelled = path.submit(b, "cancelled");
    path.assertRefused(cancelled, "cancelled");
    if (path == PasskeyPath.SECOND_STEP) {
      assertEquals(4, cancelled.json().getInteger("attemptsLeft"));
    }
    assertEquals(path == PasskeyPath.SECOND_STEP ? "signin.second_step_failed" : "sudo.second_step_failed",
        events(user).get(0).getString("type"));
  }

  @ParameterizedTest
  @EnumSource(value = PasskeyPath.class, names = {"SECOND_STEP", "SUDO"})
  void the_tenth_refused_answer_blocks_the_account_even_for_its_passkey(PasskeyPath path) {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = path.browser(server, user);
    for (int i = 1; i <= 9; i++) {
      if (path == PasskeyPath.SECOND_STEP && i % 4 == 1 && i > 1) {
        b = path.browser(server, user); // a pending sign-in ends at its fifth wrong answer: sign in again
      }
      // Failed assertions and cancelled prompts alike.
      Response refused = i % 2 == 0 ? path.submit(b, "cancelled")
          : path.submit(b, user.authenticator.on("https://gatehouse.example").get(path.options(b)));
      path.assertRefused(refused, i % 2 == 0 ? "cancelled" : "origin");
    }
    user.authenticator.on(PasskeyUser.ORIGIN);
    Response tenth = path.submit(b, "cancelled");
    assertEquals(429, tenth.status(), tenth.toString());
    assertNotNull(tenth.header("Retry-After"));
    Response right = path.use(b, user.authenticator);
    assertEquals(429, right.status(), "while blocked, even the right passkey: " + right);
  }

  @Test
  void five_refused_answers_end_a_pending_sign_in() {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    for (int left = 4; left >= 1; left--) {
      Response refused = PasskeyPath.SECOND_STEP.submit(b, "cancelled");
      assertEquals(left, refused.json().getInteger("attemptsLeft"), refused.toString());
    }
    Response fifth = PasskeyPath.SECOND_STEP.use(b, user.authenticator.on("http://gatehouse.example"));
    assertEquals(401, fifth.status());
    assertEquals("two_factor_expired", fifth.code(), fifth.toString());
    Response after = b.post(PasskeyOptions.SECOND_STEP, new JsonObject());
    assertEquals(401, after.status(), "no challenge for a sign-in that has ended");
    assertEquals("two_factor_expired", after.code());
  }

  @Test
  void parallel_uses_of_one_answer_give_exactly_one_sign_in() throws Exception {
    PasskeyUser user = PasskeyUser.enrolled(server, CLOCK);
    List<Browser> browsers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      browsers.add(user.pending());
    }
    JsonObject answer = user.authenticator.get(PasskeyPath.SECOND_STEP.options(browsers.get(0)));
    List<Response> answers = Race.of(browsers, b -> PasskeyPath.SECOND_STEP.submit(b, answer));
    assertEquals(1, answers.stream().filter(r -> r.status() == 200).count(), answers.toString());
    answers.stream().filter(r -> r.status() != 200)
        .forEach(r -> PasskeyPath.SECOND_STEP.assertRefused(r, "challenge"));
  }

  private static JsonObject withResponse(JsonObject credential, String member, Object value) {
    JsonObject copy = credential.copy();
    copy.getJsonObject("response").put(member, value);
    return copy;
  }

  static List<JsonObject> list(PasskeyUser user) {
    return user.browser.get(PasskeySettings.PASSKEYS).json().getJsonArray("passkeys").stream()
        .map(p -> (JsonObject) p).toList();
  }

  static List<String> passkeyIds(PasskeyUser user) {
    return list(user).stream().map(p -> p.getString("id")).toList();
  }

  /** The account's security log, newest first. */
  static List<JsonObject> events(PasskeyUser user) {
    return SecurityLog.events(user.browser);
  }

  static long signCount(String id) {
    try (Connection db = server.jdbc();
         PreparedStatement q = db.prepareStatement("SELECT sign_count FROM passkey_credentials WHERE id = ?::uuid")) {
      q.setString(1, id);
      try (ResultSet rs = q.executeQuery()) {
        assertTrue(rs.next());
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
