package dev.gatehouse.attacks;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static dev.gatehouse.sso.SsoKit.ok;
import static dev.gatehouse.support.SecurityLog.eventTypes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 2 (docs/security.md 34): whoever controls an organisation's provider (or the DNS
 * of one of its verified domains) can have it vouch for any address at that domain. That must not
 * open an existing account with a password: such an account is linked only once it proves itself
 * (password, and its second factor) in the same browser. Accounts the provider made are bound to
 * the provider's subject, so an address changing hands at the provider moves nothing.
 */
class SsoIdentityAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(CLOCK);
  static final RunningServer server = kit.server;

  @AfterEach
  void realTime() {
    CLOCK.set(Instant.now());
  }

  @Test
  void the_provider_vouching_for_an_address_does_not_sign_into_the_account_with_a_password_and_2fa_there() {
    Org org = kit.organisation(false);
    TwoFactorUser victim = TwoFactorUser.enrolled(server, CLOCK, org.email("victim"));
    kit.switchSso(org, true);

    // Whoever runs the provider has it vouch for the victim's address.
    Browser attacker = server.browser();
    Response landed = kit.signIn(attacker, org, victim.email, "attackers-own-subject");
    assertEquals(302, landed.status(), landed.toString());
    assertEquals("/signin?sso_link=1", landed.header("Location"), "sent to prove the account, not into it");
    assertEquals(401, attacker.get("/api/me").status(), "not signed in");
    JsonObject pending = ok(200, attacker.get("/api/sso/link")).json();
    assertEquals("pending", pending.getString("state"));
    assertEquals(org.name(), pending.getJsonObject("organisation").getString("name"));

    // Guessing the password is the password step as ever: refused, and still nothing linked.
    assertEquals(401, attacker.signIn(victim.email, "not the victim's password").status());
    assertEquals(401, attacker.get("/api/me").status());
    assertEquals(0, identities(victim.email));
    assertFalse(memberOf(victim, org), "the account did not join the organisation either");
    List<String> events = eventTypes(victim.browser);
    assertTrue(events.contains("sso.link_requested"), "the owner can see that someone asked: " + events);
    assertFalse(events.contains("sso.linked"), events.toString());
  }

  @Test
  void an_account_pre_registered_with_a_colleagues_address_is_not_adopted_by_their_sso_sign_in() {
    Org org = kit.organisation(true);
    String colleague = org.email("colleague");
    // The attacker registered the colleague's address first, with a password of their own.
    Browser attacker = server.browser();
    ok(201, attacker.signUp(colleague, "attackers own password 1"));

    Browser colleagues = server.browser();
    Response landed = kit.signIn(colleagues, org, colleague);
    assertEquals("/signin?sso_link=1", landed.header("Location"));
    assertEquals(401, colleagues.get("/api/me").status(), "the colleague does not land in the attacker's account");
    assertEquals(0, identities(colleague), "and their provider identity is not tied to it");
  }

  @Test
  void the_owner_links_by_signing_in_in_full_in_the_same_browser_and_then_sso_signs_straight_in() {
    Org org = kit.organisation(false);
    TwoFactorUser owner = TwoFactorUser.enrolled(server, CLOCK, org.email("dana"));
    kit.switchSso(org, true);

    Browser browser = server.browser();
    assertEquals("/signin?sso_link=1", kit.signIn(browser, org, owner.email).header("Location"));
    // The password alone is not enough: the second step is owed, and nothing is linked yet.
    Response password = ok(200, browser.signIn(owner.email, TwoFactorUser.PASSWORD));
    assertEquals("two_factor_required", password.json().getString("state"));
    assertEquals(0, identities(owner.email));
    ok(200, secondStep(browser, "code", owner.code()));
    owner.nextStep();

    assertEquals("linked", ok(200, browser.get("/api/sso/link")).json().getString("state"));
    assertEquals(1, identities(owner.email));
    // docs/security.md 32: linking ended the owner's other session (the one they enrolled in).
    assertEquals(401, owner.browser.get("/api/me").status(), "the account's other sessions ended");
    JsonObject linked = browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(JsonObject.class::cast).filter(e -> "sso.linked".equals(e.getString("type"))).findFirst().orElseThrow();
    assertEquals(1, linked.getJsonObject("details").getInteger("sessionsEnded"));
    assertTrue(browser.get("/api/orgs").json().getJsonArray("organisations").stream()
        .anyMatch(o -> org.slug().equals(((JsonObject) o).getString("slug"))), "a member now");

    Browser later = server.browser();
    Response direct = kit.signIn(later, org, owner.email);
    assertEquals("/account", direct.header("Location"), "linked: SSO signs straight in");
    assertEquals(owner.email, ok(200, later.get("/api/me")).json().getJsonObject("user").getString("email"));
  }

  @Test
  void a_waiting_link_is_not_completed_by_a_sign_in_elsewhere_or_into_another_account() {
    Org org = kit.organisation(false);
    TwoFactorUser victim = TwoFactorUser.signedIn(server, CLOCK, org.email("vic"));
    TwoFactorUser attacker = TwoFactorUser.signedIn(server, CLOCK, org.email("mal"));
    kit.switchSso(org, true);

    Browser attackers = server.browser();
    assertEquals("/signin?sso_link=1", kit.signIn(attackers, org, victim.email, "mallory-at-the-provider")
        .header("Location"));
    // The link waits in the attacker's session only: the victim's own browser is sent to SSO as ever.
    assertEquals("sso_required", server.browser().signIn(victim.email, TwoFactorUser.PASSWORD).code());
    // The attacker signs in to an account of their own in the browser that holds the link.
    Response own = attackers.signIn(attacker.email, TwoFactorUser.PASSWORD);
    assertEquals(403, own.status(), "their own account is an SSO member now: " + own);
    assertEquals(0, identities(victim.email));
    assertEquals(0, identities(attacker.email));
  }

  @Test
  void a_change_of_address_at_the_provider_does_not_move_the_binding() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann"), "subject-ann"));
    String annId = ok(200, ann.get("/api/me")).json().getJsonObject("user").getString("id");
    Browser bob = server.browser();
    ok(302, kit.signIn(bob, org, org.email("bob"), "subject-bob"));
    String bobId = ok(200, bob.get("/api/me")).json().getJsonObject("user").getString("id");

    // At the provider, Ann's person now carries Bob's address (renamed, or reused).
    Browser later = server.browser();
    assertEquals("/account", kit.signIn(later, org, org.email("bob"), "subject-ann").header("Location"));
    assertEquals(annId, ok(200, later.get("/api/me")).json().getJsonObject("user").getString("id"),
        "Ann's subject signs in to Ann's account, whatever address it carries");

    // And someone new at the provider handed Ann's old address gets nothing of hers.
    Browser newcomer = server.browser();
    Response refused = kit.signIn(newcomer, org, org.email("ann"), "subject-newcomer");
    assertEquals("/signin?sso_error=sso_account_conflict", refused.header("Location"));
    assertEquals(401, newcomer.get("/api/me").status());
    assertFalse(annId.equals(bobId));
  }

  private static boolean memberOf(TwoFactorUser user, Org org) {
    return user.browser.get("/api/orgs").json().getJsonArray("organisations").stream()
        .anyMatch(o -> org.slug().equals(((JsonObject) o).getString("slug")));
  }

  /** How many provider identities are bound to the account with this address. */
  private static long identities(String email) {
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement(
        "SELECT count(*) FROM sso_identities i JOIN users u ON u.id = i.user_id WHERE u.email = ?")) {
      s.setString(1, email);
      ResultSet rs = s.executeQuery();
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
