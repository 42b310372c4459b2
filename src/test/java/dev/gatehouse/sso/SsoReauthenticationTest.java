package dev.gatehouse.sso;

import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.gatehouse.sso.SsoKit.ok;
import static dev.gatehouse.sso.SsoKit.subjectOf;
import static dev.gatehouse.sso.SsoKit.vouched;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sudo for an account made by SSO, which has no password (docs/security.md 25): a fresh sign-in at
 * its organisation's provider, against a real provider in-process. What counts is a token that
 * says the person signed in after the confirmation started ({@code auth_time}) and names the
 * identity bound to this very account; anything else grants nothing and says why.
 */
class SsoReauthenticationTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(CLOCK);
  static final RunningServer server = kit.server;

  @AfterEach
  void realTime() {
    CLOCK.set(Instant.now());
  }

  /** A member whose account SSO made: signed in through the provider, no password. */
  private static Browser member(Org org, String who) {
    Browser browser = server.browser();
    ok(302, kit.signIn(browser, org, org.email(who)));
    assertFalse(ok(200, browser.get("/api/me")).json().getJsonObject("user").getBoolean("passwordSet"));
    return browser;
  }

  private static long now() {
    return CLOCK.millis() / 1000;
  }

  /** POST /api/me/two-factor/setup: what a factor-sensitive route answers this browser now. */
  private static Response setUpTwoFactor(Browser browser) {
    return browser.post("/api/me/two-factor/setup", new JsonObject());
  }

  @Test
  void the_sudo_answer_names_the_organisations_provider_whatever_the_body() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    for (JsonObject body : List.of(new JsonObject(), new JsonObject().put("password", "a guess"))) {
      Response sudo = ann.post("/api/me/sudo", body);
      assertEquals(403, sudo.status(), sudo.toString());
      assertEquals("sso_reauthentication_required", sudo.code());
      assertEquals("/sso/" + org.slug() + "/reauthenticate", sudo.json().getString("ssoUrl"));
    }
    assertEquals("sudo_required", setUpTwoFactor(ann).code(), "nothing granted by asking");
  }

  @Test
  void a_fresh_sign_in_at_the_provider_grants_ten_minutes_of_sudo_and_lands_on_the_account_page() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    String id = ok(200, ann.get("/api/me")).json().getJsonObject("user").getString("id");
    assertEquals(403, setUpTwoFactor(ann).status());

    Response done = kit.reauthenticated(ann, org, subjectOf(org.email("ann")), vouched(org.email("ann"), now()));

    assertEquals(302, done.status(), done.toString());
    assertEquals("/account?sudo=sso", done.header("Location"));
    JsonObject me = ok(200, ann.get("/api/me")).json();
    assertEquals(id, me.getJsonObject("user").getString("id"), "still the same account");
    Instant until = Instant.parse(me.getString("sudoUntil"));
    assertTrue(Math.abs(Duration.between(CLOCK.instant().plus(Duration.ofMinutes(10)), until).toSeconds()) < 5,
        "sudo for 10 minutes: " + until);
    ok(201, setUpTwoFactor(ann));
    JsonObject granted = ok(200, ann.get("/api/me/security-events")).json().getJsonArray("events").stream()
        .map(JsonObject.class::cast).filter(e -> "sudo.granted".equals(e.getString("type"))).findFirst().orElseThrow();
    assertEquals("sso", granted.getJsonObject("details").getString("method"));

    CLOCK.advance(Duration.ofMinutes(11));
    assertEquals("sudo_required", setUpTwoFactor(ann).code(), "and not a minute longer");
  }

  @Test
  void a_provider_clock_a_little_behind_ours_still_counts() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    assertEquals("/account?sudo=sso", kit.reauthenticated(ann, org, subjectOf(org.email("ann")),
        vouched(org.email("ann"), now() - 30)).header("Location"));
    ok(201, setUpTwoFactor(ann));
  }

  @Test
  void a_token_that_does_not_say_when_the_person_signed_in_grants_nothing() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    Response refused = kit.reauthenticated(ann, org, subjectOf(org.email("ann")), vouched(org.email("ann")));

    assertEquals("/account?sso_error=sso_not_fresh", refused.header("Location"));
    assertRefused(ann, org.email("ann"), "sso_not_fresh");
  }

  @Test
  void a_sign_in_at_the_provider_from_before_the_confirmation_started_grants_nothing() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    // The provider kept the person's old session (prompt=login ignored): it signed in ten minutes ago.
    Response refused = kit.reauthenticated(ann, org, subjectOf(org.email("ann")), vouched(org.email("ann"), now() - 600));

    assertEquals("/account?sso_error=sso_not_fresh", refused.header("Location"));
    assertRefused(ann, org.email("ann"), "sso_not_fresh");
  }

  @Test
  void another_accounts_identity_grants_nothing_and_signs_in_or_creates_no_one() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    Browser bob = member(org, "bob");
    String bobSession = bob.sessionId();

    // Ann's session asks; at the provider, Bob signs in (a colleague at her desk, or a thief's own identity).
    Response refused = kit.reauthenticated(ann, org, subjectOf(org.email("bob")), vouched(org.email("bob"), now()));
    assertEquals("/account?sso_error=sso_identity_mismatch", refused.header("Location"));
    assertRefused(ann, org.email("ann"), "sso_identity_mismatch");
    assertEquals(bobSession, bob.sessionId());
    assertEquals("sudo_required", setUpTwoFactor(bob).code(), "Bob's own session gained nothing either");

    // Someone the provider knows but Gatehouse does not: no account is made for them.
    refused = kit.reauthenticated(ann, org, subjectOf(org.email("newcomer")), vouched(org.email("newcomer"), now()));
    assertEquals("/account?sso_error=sso_identity_mismatch", refused.header("Location"));
    assertRefused(ann, org.email("ann"), "sso_identity_mismatch");
    assertEquals(0, server.count("SELECT count(*) FROM users WHERE email = '" + org.email("newcomer") + "'"));
    assertEquals(0, server.count("SELECT count(*) FROM sso_identities WHERE subject = '" + subjectOf(org.email("newcomer")) + "'"));
  }

  @Test
  void the_same_person_under_another_subject_is_not_the_bound_identity() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    // Ann's address, but not the provider's person bound to her account.
    Response refused = kit.reauthenticated(ann, org, "someone-else-with-anns-address", vouched(org.email("ann"), now()));
    assertEquals("/account?sso_error=sso_identity_mismatch", refused.header("Location"));
    assertRefused(ann, org.email("ann"), "sso_identity_mismatch");
  }

  @Test
  void a_replayed_callback_grants_nothing() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    String subject = subjectOf(org.email("ann"));
    URI back = kit.reauthenticate(ann, org, subject, vouched(org.email("ann")));
    assertEquals("/account?sso_error=sso_not_fresh", kit.callback(ann, org, back, subject, vouched(org.email("ann")), 3600)
        .header("Location"));

    // The same state again: the flow was used up by the first, so the provider is not even asked.
    Response replayed = ann.get(SsoKit.pathAndQuery(back));
    assertEquals("/account?sso_error=sso_state_invalid", replayed.header("Location"));
    assertEquals("sudo_required", setUpTwoFactor(ann).code());

    // Another signed-in browser replaying Ann's callback (the address leaked): its session started nothing.
    Browser bob = member(org, "bob");
    URI annsNext = kit.reauthenticate(ann, org, subject, vouched(org.email("ann"), now()));
    Response stolen = bob.get(SsoKit.pathAndQuery(annsNext));
    assertEquals("/account?sso_error=sso_state_invalid", stolen.header("Location"));
    assertEquals("sudo_required", setUpTwoFactor(bob).code());
    assertEquals("sudo_required", setUpTwoFactor(ann).code());
  }

  @Test
  void a_session_signed_out_meanwhile_gets_nothing_when_the_provider_answers() {
    Org org = kit.organisation(true);
    Browser ann = member(org, "ann");
    URI back = kit.reauthenticate(ann, org, subjectOf(org.email("ann")), vouched(org.email("ann"), now()));
    ok(204, ann.delete("/api/session"));
    Response refused = ann.get(SsoKit.pathAndQuery(back));
    assertEquals("/signin?sso_error=sso_state_invalid", refused.header("Location"));
    assertEquals(401, ann.get("/api/me").status());
  }

  @Test
  void only_a_signed_in_account_without_a_password_starts_one_and_only_at_its_own_organisation() {
    Org org = kit.organisation(true);
    Org other = kit.organisation(true);
    assertEquals(401, server.browser().post("/sso/" + org.slug() + "/reauthenticate", new JsonObject()).status());
    // An account with a password confirms with it (and its second factor), never around it.
    Response owner = org.owner().post("/sso/" + org.slug() + "/reauthenticate", new JsonObject());
    assertEquals(409, owner.status(), owner.toString());
    assertEquals("password_set", owner.code());
    Browser ann = member(org, "ann");
    assertEquals(404, ann.post("/sso/" + other.slug() + "/reauthenticate", new JsonObject()).status(),
        "not at a provider that holds no identity of hers");
    Response forged = ann.send(ann.request("/sso/" + org.slug() + "/reauthenticate")
        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
    assertEquals(403, forged.status(), "a POST without the CSRF token starts nothing: " + forged);
  }

  /** Refused, still signed in as before, no sudo, and the refusal in the account's log. */
  private static void assertRefused(Browser browser, String email, String reason) {
    JsonObject me = ok(200, browser.get("/api/me")).json();
    assertEquals(email, me.getJsonObject("user").getString("email"), "still signed in as the same account");
    assertNull(me.getValue("sudoUntil"), "no sudo");
    assertEquals("sudo_required", setUpTwoFactor(browser).code());
    JsonObject refused = ok(200, browser.get("/api/me/security-events")).json().getJsonArray("events").getJsonObject(0);
    assertEquals("sudo.sso_refused", refused.getString("type"));
    assertEquals(reason, refused.getJsonObject("details").getString("reason"));
    assertNotNull(refused.getString("ip"));
  }
}
