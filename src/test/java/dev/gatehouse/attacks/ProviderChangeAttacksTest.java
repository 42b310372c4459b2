package dev.gatehouse.attacks;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.sso.SsoKit.ok;
import static dev.gatehouse.support.SecurityLog.lastEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 3 (docs/security.md 35): whoever changes an organisation's provider changes who
 * vouches for its members. Such a change needs sudo at full strength; every member can read it in
 * their security log; the sessions the old provider vouched for end (members' password sessions
 * stay); and the new provider does not silently take over the accounts the old one made.
 */
class ProviderChangeAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(CLOCK);
  static final RunningServer server = kit.server;

  @AfterEach
  void realTime() {
    CLOCK.set(Instant.now());
  }

  @Test
  void the_password_half_of_sudo_changes_neither_the_provider_nor_the_domains_of_an_owner_with_two_factor() {
    TwoFactorUser owner = TwoFactorUser.enrolled(server, CLOCK);
    String slug = "guarded-" + Long.toHexString(System.nanoTime());
    ok(201, owner.browser.post("/api/orgs", new JsonObject().put("name", "Guarded").put("slug", slug)));
    CLOCK.advance(Duration.ofMinutes(11)); // the sudo of the enrolment has lapsed

    // A thief with the session and the password, but not the phone.
    Response half = owner.browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
    assertEquals("second_factor_required", ok(200, half).json().getString("state"));
    String base = "/api/orgs/" + slug;
    List<Response> refused = List.of(
        owner.browser.put(base + "/sso", new JsonObject().put("issuer", "https://evil.example").put("clientId", "x")
            .put("clientSecret", "y").put("enabled", false)),
        owner.browser.post(base + "/domains", new JsonObject().put("domain", "victims.example")),
        owner.browser.post(base + "/domains/victims.example/verify", null),
        owner.browser.delete(base + "/domains/victims.example"));
    for (Response response : refused) {
      assertEquals(403, response.status(), response.toString());
      assertEquals("sudo_required", response.code());
    }
    JsonObject org = ok(200, owner.browser.get(base)).json();
    assertEquals(0, org.getJsonArray("domains").size(), "no domain claimed");
    assertEquals(null, org.getJsonObject("sso").getValue("issuer"), "no provider set");
  }

  @Test
  void a_new_issuer_ends_the_sessions_the_old_provider_vouched_for_and_only_those() {
    Org org = kit.organisation(true);
    Org elsewhere = kit.organisation(true);
    Browser annsLaptop = server.browser();
    ok(302, kit.signIn(annsLaptop, org, org.email("ann")));
    Browser annsPhone = server.browser();
    ok(302, kit.signIn(annsPhone, org, org.email("ann")));
    Browser zed = server.browser();
    ok(302, kit.signIn(zed, elsewhere, elsewhere.email("zed")));

    ok(200, kit.changeIssuer(org, org.slug() + "-next", null));

    assertEquals(401, annsLaptop.get("/api/me").status(), "signed in by the old provider: ended");
    assertEquals(401, annsPhone.get("/api/me").status(), "every such session");
    assertEquals(200, org.owner().get("/api/me").status(), "the owner's password session stays");
    assertEquals(200, zed.get("/api/me").status(), "another organisation's members are none of this change's business");
    JsonObject told = latest(org.owner(), "organisation.sso_changed");
    assertEquals(new JsonArray().add("issuer"), told.getJsonArray("changed"));
    assertEquals(org.issuer(), told.getString("previousIssuer"));
    assertEquals(org.provider().issuerUrl(org.slug() + "-next").toString(), told.getString("issuer"));
  }

  @Test
  void another_client_or_switching_sso_off_ends_them_too() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann")));
    ok(200, org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", org.issuer())
        .put("clientId", "another-client").put("enabled", true)));
    assertEquals(401, ann.get("/api/me").status(), "another client of the provider is another provider");

    Org other = kit.organisation(true);
    Browser bea = server.browser();
    ok(302, kit.signIn(bea, other, other.email("bea")));
    kit.switchSso(other, false);
    assertEquals(401, bea.get("/api/me").status(), "SSO switched off: nobody vouches for that session any more");
    assertEquals(200, other.owner().get("/api/me").status());
  }

  @Test
  void every_member_reads_each_change_in_their_own_log_and_never_the_secret() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann")));
    String secret = "rotated-secret-" + Long.toHexString(System.nanoTime());
    try (LogCapture log = LogCapture.attach()) {
      ok(200, org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", org.issuer())
          .put("clientId", org.clientId()).put("clientSecret", secret).put("enabled", true)));
      assertFalse(log.text().contains(secret), "the secret in the server's log");
    }
    // A new secret for the same client is no new provider: Ann stays signed in, and is told.
    JsonObject told = latest(ann, "organisation.sso_changed");
    assertEquals(new JsonArray().add("clientSecret"), told.getJsonArray("changed"));
    assertEquals(org.name(), told.getString("organisation"));
    assertFalse(ann.get("/api/me/security-events").body().contains(secret), "the secret in a member's log");

    ok(201, org.owner().post("/api/orgs/" + org.slug() + "/domains", new JsonObject().put("domain", "new-" + org.domain())));
    JsonObject domain = latest(ann, "organisation.sso_changed");
    assertEquals(new JsonArray().add("domains"), domain.getJsonArray("changed"));
    assertEquals("new-" + org.domain(), domain.getString("domain"));
    assertEquals("added", domain.getString("domainChange"));
    assertEquals(200, ann.get("/api/me").status(), "a domain claim ends nobody's session");
  }

  @Test
  void a_carry_over_that_is_not_true_or_false_is_refused_and_changes_nothing() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann")));
    Response refused = org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject()
        .put("issuer", org.provider().issuerUrl(org.slug() + "-next").toString()).put("clientId", org.clientId())
        .put("enabled", true).put("carryOverMembers", "yes"));
    assertEquals(400, refused.status(), refused.toString());
    assertEquals("carryOverMembers", refused.json().getString("field"));
    assertEquals(org.issuer(), ok(200, org.owner().get("/api/orgs/" + org.slug())).json().getJsonObject("sso")
        .getString("issuer"));
    assertEquals(200, ann.get("/api/me").status());
    assertFalse(ann.get("/api/me/security-events").body().contains("organisation.sso_changed"));
  }

  @Test
  void a_new_issuer_does_not_silently_take_over_the_accounts_the_old_one_made() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann")));
    String annId = accountId(org.email("ann"));

    // Whoever now runs the organisation's provider vouches for Ann's address under a subject of their own.
    ok(200, kit.changeIssuer(org, org.slug() + "-takeover", null));
    Browser intruder = server.browser();
    Response refused = kit.signInAt(intruder, org, org.slug() + "-takeover", org.email("ann"), "intruders-subject");

    assertEquals("/signin?sso_error=sso_account_conflict", refused.header("Location"));
    assertEquals(401, intruder.get("/api/me").status(), "not into Ann's account");
    assertEquals(1, server.count("SELECT count(*) FROM sso_identities WHERE user_id = '" + annId + "'"), "nothing re-bound");
  }

  @Test
  void an_owner_who_says_so_carries_the_members_over_and_each_is_told() {
    Org org = kit.organisation(true);
    Browser ann = server.browser();
    ok(302, kit.signIn(ann, org, org.email("ann")));
    String annId = accountId(org.email("ann"));

    ok(200, kit.changeIssuer(org, org.slug() + "-moved", true));
    assertEquals(401, ann.get("/api/me").status());
    Response moved = kit.signInAt(ann, org, org.slug() + "-moved", org.email("ann"), "ann-at-the-new-provider");

    assertEquals("/account", moved.header("Location"));
    assertEquals(annId, ok(200, ann.get("/api/me")).json().getJsonObject("user").getString("id"), "her own account");
    JsonObject linked = latest(ann, "sso.linked");
    assertEquals(org.issuer(), linked.getString("carriedOverFrom"));
    JsonObject told = latest(ann, "organisation.sso_changed");
    assertTrue(told.getBoolean("membersCarriedOver"));
    assertEquals(1, told.getInteger("sessionsEnded"));

    // Only the organisation's own accounts, bound under the issuer it replaced, are carried over.
    ok(200, kit.changeIssuer(org, org.slug() + "-third", true));
    Browser late = server.browser();
    assertEquals("/account", kit.signInAt(late, org, org.slug() + "-third", org.email("ann"), "ann-third").header("Location"));
  }

  @Test
  void a_sign_in_through_the_old_provider_that_finishes_after_the_change_does_not_outlive_it() throws Exception {
    HeldTokens held = new HeldTokens();
    Org org = kit.organisation(true, new MockOAuth2Server(held));
    String email = org.email("ann");
    Browser ann = server.browser();
    URI back = kit.authorize(ann, org);
    org.provider().enqueueCallback(new DefaultOAuth2TokenCallback(org.slug(), SsoKit.subjectOf(email), "JWT", null,
        SsoKit.vouched(email), 3600));

    // The old provider holds its token answer back (it can: it is the attacker's) while the owner switches.
    held.hold();
    CompletableFuture<Response> finishing = CompletableFuture.supplyAsync(() -> ann.get(SsoKit.pathAndQuery(back)));
    assertTrue(held.arrived.await(10, TimeUnit.SECONDS), "the callback never reached the token endpoint");
    ok(200, kit.changeIssuer(org, org.slug() + "-next", null));
    held.release();

    Response finished = finishing.get(20, TimeUnit.SECONDS);
    assertEquals(302, finished.status(), finished.toString());
    assertEquals(401, ann.get("/api/me").status(), "vouched for by a provider the organisation no longer uses, yet "
        + finished.header("Location"));
  }

  /** A provider route that, once asked to, holds token requests back until released; they then go on as usual. */
  static final class HeldTokens implements Route {
    final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean holding;

    void hold() {
      holding = true;
    }

    void release() {
      released.countDown();
    }

    @Override
    public boolean match(OAuth2HttpRequest request) {
      if (holding && "POST".equals(request.getMethod()) && request.getUrl().encodedPath().endsWith("/token")) {
        arrived.countDown();
        try {
          released.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return false; // never answers itself: the provider's own token endpoint does
    }

    @Override
    public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
      throw new IllegalStateException("never matched");
    }
  }

  /** The newest event of this type in the browser's own security log, as details. */
  private static JsonObject latest(Browser browser, String type) {
    return lastEvent(browser, type).getJsonObject("details");
  }

  private static String accountId(String email) {
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement("SELECT id FROM users WHERE email = ?")) {
      s.setString(1, email);
      ResultSet rs = s.executeQuery();
      assertTrue(rs.next());
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
