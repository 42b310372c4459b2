package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.webauthn4j.converter.AttestationObjectConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import dev.gatehouse.factor.passkey.PasskeyCeremony.Purpose;
import dev.gatehouse.http.Problem;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebAuthn ceremonies against the real PostgreSQL, with webauthn4j-test's authenticator as the browser
 * (docs/security.md 44-47). Passkeys are registered over HTTP, as the web app does; the second step and the
 * sign-in without a password are not wired to routes yet, so their assertions go to the ceremony directly,
 * on the same database.
 */
@ExtendWith(VertxExtension.class)
class PasskeyCeremonyTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  static TestServer server;
  static Pool pool;
  static PasskeyStore store = new PasskeyStore();
  static PasskeyCeremony ceremony;

  @BeforeAll
  static void start(Vertx vertx) {
    server = TestServer.start(vertx, new JsonObject(), CLOCK);
    pool = server.app().pool();
    ceremony = new PasskeyCeremony(vertx, pool, store, RelyingParty.of(URI.create(PasskeyUser.ORIGIN), "Gatehouse"), CLOCK);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void a_registered_passkey_passes_the_second_step_and_its_counter_moves_on() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    String id = user.registered("Laptop");

    JsonObject options = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
    assertEquals("localhost", options.getString("rpId"));
    assertEquals("preferred", options.getString("userVerification"));
    assertEquals(1, options.getJsonArray("allowCredentials").size(), "the account's own passkey is offered");
    PasskeyCeremony.Asserted asserted = await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(options))));
    assertEquals(user.id, asserted.user());
    assertEquals(id, asserted.passkey().toString());
    assertTrue(asserted.userVerified());

    long afterFirst = signCount(id);
    assertTrue(afterFirst > 0, "the authenticator's counter is stored");
    await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id))))));
    assertTrue(signCount(id) > afterFirst, "and moves on with every use");
    assertNotNull(user.browser.get(PasskeySettings.PASSKEYS).json().getJsonArray("passkeys").getJsonObject(0)
        .getString("lastUsedAt"), "the list shows when it was last used");
  }

  @Test
  void an_answer_made_on_a_look_alike_site_is_refused_and_logged() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    user.registered("Laptop");
    for (String phishing : List.of("http://localhost:8081", "https://localhost:8080", "http://gatehouse.example")) {
      JsonObject options = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
      try (LogCapture log = LogCapture.attach()) {
        Problem refused = refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
            assertion(user.authenticator.on(phishing).get(options))));
        assertEquals("invalid_passkey", refused.code(), phishing);
        assertEquals(401, refused.status());
        assertEquals("origin", reason(refused), phishing);
        assertTrue(log.text().contains("was refused (only http://localhost:8080 is ours)"), log.text());
      }
    }
    user.authenticator.on(PasskeyUser.ORIGIN);
  }

  @Test
  void a_passkey_made_for_another_relying_party_is_refused() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    // A credential the authenticator holds for evil.example, on the account as if it had been ours.
    JsonObject foreign = user.authenticator.create(user.registrationOptions().put("rp",
        new JsonObject().put("id", "evil.example").put("name", "Evil")));
    AttestedCredentialData attested = new AttestationObjectConverter(new ObjectConverter())
        .convert(EmulatedAuthenticator.decode(foreign.getJsonObject("response").getString("attestationObject")))
        .getAuthenticatorData().getAttestedCredentialData();
    await(store.insert(pool, user.id, new PasskeyStore.NewCredential(attested.getCredentialId(),
        new ObjectConverter().getCborConverter().writeValueAsBytes(attested.getCOSEKey()), 0, "Foreign", null,
        List.of(), false, false)));

    JsonObject options = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
    Problem refused = refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(options.put("rpId", "evil.example")))));
    assertEquals("invalid_passkey", refused.code());
    assertEquals("rp_id", reason(refused));
  }

  @Test
  void a_challenge_works_once_for_its_own_purpose_and_account_and_for_5_minutes() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    PasskeyUser other = PasskeyUser.signedIn(server, CLOCK);
    user.registered("Laptop");

    JsonObject answer = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id)));
    await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id, assertion(answer)));
    assertEquals("challenge", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(answer)))), "the same answer again is a replay");

    JsonObject forSudo = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SUDO, user.id)));
    assertEquals("challenge", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(forSudo)))), "a challenge made for sudo does not pass a second step");

    JsonObject othersChallenge = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
    assertEquals("challenge", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, other.id,
        assertion(user.authenticator.get(othersChallenge))))), "nor one made for another account");

    JsonObject late = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
    CLOCK.advance(PasskeyCeremony.CHALLENGE_LIFETIME.plusSeconds(1));
    assertEquals("challenge", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(late))))), "after 5 minutes it has expired");

    JsonObject fresh = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id)));
    CLOCK.advance(PasskeyCeremony.CHALLENGE_LIFETIME.minusSeconds(1));
    await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id, assertion(fresh)));
  }

  @Test
  void a_counter_that_goes_backwards_is_refused_and_logged_as_a_possible_clone() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    String id = user.registered("Security key");
    // Two answers made in turn: the earlier one, sent last, carries the lower count, as a copy would.
    JsonObject earlier = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id)));
    JsonObject later = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id)));
    await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id, assertion(later)));
    long stored = signCount(id);
    try (LogCapture log = LogCapture.attach()) {
      Problem refused = refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id, assertion(earlier)));
      assertEquals("invalid_passkey", refused.code());
      assertEquals("counter", reason(refused));
      assertTrue(log.text().contains("Passkey " + id + " of user " + user.id
          + " was refused: its signature counter did not move forward"), log.text());
      assertTrue(log.text().contains("cloned authenticator"), log.text());
    }
    assertEquals(stored, signCount(id), "the stored count stays where it was");

    user.authenticator.counting(false);
    assertEquals("counter", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id))))))),
        "a count that stands still is refused too");
  }

  @Test
  void an_authenticator_without_a_counter_always_sends_zero_and_is_accepted() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK,
        new EmulatedAuthenticator(PasskeyUser.ORIGIN).counting(false));
    String id = user.registered("Phone");
    for (int i = 0; i < 2; i++) {
      await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
          assertion(user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id))))));
    }
    assertEquals(0, signCount(id));
  }

  @Test
  void another_accounts_passkey_is_refused() throws Exception {
    PasskeyUser victim = PasskeyUser.signedIn(server, CLOCK);
    PasskeyUser attacker = PasskeyUser.signedIn(server, CLOCK);
    victim.registered("Laptop");
    attacker.registered("Attacker's key");

    // The attacker has the victim's password and is asked for the victim's second step: their own
    // client ignores the victim's allowed credentials and answers with the attacker's passkey.
    JsonObject options = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, victim.id));
    options.remove("allowCredentials");
    Problem refused = refusal(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, victim.id,
        assertion(attacker.authenticator.get(options))));
    assertEquals("invalid_passkey", refused.code());
    assertEquals("credential", reason(refused));
  }

  @Test
  void user_verification_is_required_without_a_password_and_only_preferred_for_the_second_step() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK,
        new EmulatedAuthenticator(PasskeyUser.ORIGIN, null, false));
    user.registered("Key without a PIN");

    JsonObject signIn = await(ceremony.assertionOptions(pool, Purpose.SIGN_IN, null));
    assertEquals("required", signIn.getString("userVerification"));
    assertEquals(0, signIn.getJsonArray("allowCredentials").size(), "the passkey names the account");
    // A client that does not ask the person to verify (no PIN, no fingerprint) sends no UV flag.
    Problem refused = refusal(ceremony.verifyAssertion(pool, Purpose.SIGN_IN, null,
        assertion(user.authenticator.get(signIn.put("userVerification", "discouraged")))));
    assertEquals("invalid_passkey", refused.code());
    assertEquals("user_verification", reason(refused));

    JsonObject secondStep = await(ceremony.assertionOptions(pool, Purpose.SECOND_STEP, user.id));
    PasskeyCeremony.Asserted asserted = await(ceremony.verifyAssertion(pool, Purpose.SECOND_STEP, user.id,
        assertion(user.authenticator.get(secondStep.put("userVerification", "discouraged")))));
    assertFalse(asserted.userVerified(), "after the password, presence is enough");
  }

  @Test
  void a_sign_in_without_a_password_finds_the_account_by_its_passkey() throws Exception {
    PasskeyUser user = PasskeyUser.signedIn(server, CLOCK);
    PasskeyUser other = PasskeyUser.signedIn(server, CLOCK);
    user.registered("Laptop");
    other.registered("Other laptop");

    JsonObject answer = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SIGN_IN, null)));
    assertNotNull(answer.getJsonObject("response").getString("userHandle"));
    PasskeyCeremony.Asserted asserted = await(ceremony.verifyAssertion(pool, Purpose.SIGN_IN, null, assertion(answer)));
    assertEquals(user.id, asserted.user());
    assertTrue(asserted.userVerified());

    // The user handle must be the passkey owner's: one swapped for another account's is refused.
    JsonObject swapped = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SIGN_IN, null)));
    JsonObject othersAnswer = other.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SIGN_IN, null)));
    swapped.getJsonObject("response").put("userHandle", othersAnswer.getJsonObject("response").getString("userHandle"));
    assertEquals("credential", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SIGN_IN, null,
        assertion(swapped)))));

    JsonObject anonymous = user.authenticator.get(await(ceremony.assertionOptions(pool, Purpose.SIGN_IN, null)));
    anonymous.getJsonObject("response").putNull("userHandle");
    assertEquals("credential", reason(refusal(ceremony.verifyAssertion(pool, Purpose.SIGN_IN, null,
        assertion(anonymous)))), "without a password, a passkey must say whose it is");
  }

  @Test
  void a_credential_id_belongs_to_one_account_only() throws Exception {
    PasskeyUser owner = PasskeyUser.signedIn(server, CLOCK);
    PasskeyUser other = PasskeyUser.signedIn(server, CLOCK);
    owner.registered("Laptop");
    byte[] ownersCredential = credentialIds(owner.id).get(0);

    // An authenticator that answers a registration with a credential id of its choosing (an attacker's).
    PasskeyCeremony.Verified verified = await(ceremony.verifyRegistration(other.id,
        registration(other.authenticator.create(other.registrationOptions()))));
    PasskeyStore.NewCredential c = verified.credential();
    PasskeyCeremony.Verified hijack = new PasskeyCeremony.Verified(other.id, new PasskeyStore.NewCredential(
        ownersCredential, c.publicKey(), c.signCount(), null, c.aaguid(), c.transports(), c.backupEligible(),
        c.backedUp()));
    Problem refused = refusal(ceremony.register(pool, hijack, "Mine now"));
    assertEquals(409, refused.status());
    assertEquals("passkey_exists", refused.code());
    assertTrue(credentialIds(other.id).isEmpty());
  }

  static SubmittedPasskey.Assertion assertion(JsonObject credential) {
    return SubmittedPasskey.assertion(credential, "passkey");
  }

  static SubmittedPasskey.Registration registration(JsonObject credential) {
    return SubmittedPasskey.registration(credential, "credential");
  }

  static String reason(Problem problem) {
    return problem.toJson().getString("reason");
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The refusal a future fails with; fails the test when it succeeds or fails otherwise. */
  static Problem refusal(Future<?> future) throws Exception {
    try {
      Object result = future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return fail("expected a refusal, got " + result);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Problem problem) {
        return problem;
      }
      throw e;
    }
  }

  long signCount(String id) throws Exception {
    try (Connection db = server.jdbc();
         PreparedStatement q = db.prepareStatement("SELECT sign_count FROM passkey_credentials WHERE id = ?::uuid")) {
      q.setString(1, id);
      try (ResultSet rs = q.executeQuery()) {
        assertTrue(rs.next());
        return rs.getLong(1);
      }
    }
  }

  List<byte[]> credentialIds(UUID user) throws Exception {
    return await(store.descriptors(pool, user)).stream().map(PasskeyStore.Descriptor::credentialId).toList();
  }
}
