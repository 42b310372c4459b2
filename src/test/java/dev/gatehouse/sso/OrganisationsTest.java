package dev.gatehouse.sso;

import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.FakeDns;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import static dev.gatehouse.sso.SsoKit.PASSWORD;
import static dev.gatehouse.sso.SsoKit.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Organisations over HTTP: who may create, see and configure what, and what is stored. */
class OrganisationsTest {

  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture();
  static final RunningServer server = kit.server;
  static final FakeDns dns = kit.dns;

  private static Browser signedIn() {
    String email = Emails.unique("org");
    Browser browser = server.browser();
    ok(201, browser.signUp(email, PASSWORD));
    ok(200, browser.signIn(email, PASSWORD));
    return browser;
  }

  private static String slug() {
    return "o-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void a_signed_in_user_creates_an_organisation_and_becomes_its_owner() {
    Browser ann = signedIn();
    String slug = slug();
    Response created = ok(201, ann.post("/api/orgs", new JsonObject().put("name", " Acme Ltd ").put("slug", slug.toUpperCase())));
    JsonObject org = created.json();
    assertEquals(slug, org.getString("slug"));
    assertEquals("Acme Ltd", org.getString("name"));
    assertEquals("owner", org.getString("role"));
    assertFalse(org.getJsonObject("sso").getBoolean("enabled"));
    assertEquals("http://localhost:8080/sso/" + slug + "/callback", org.getJsonObject("sso").getString("redirectUri"));

    JsonObject me = ok(200, ann.get("/api/me")).json();
    assertEquals(slug, me.getJsonObject("organisation").getString("slug"));
    assertEquals("owner", me.getJsonObject("organisation").getString("role"));
    assertEquals(1, ok(200, ann.get("/api/orgs")).json().getJsonArray("organisations").size());
    assertEquals(1, ok(200, ann.get("/api/orgs/" + slug + "/members")).json().getJsonArray("members").size());
  }

  @Test
  void slugs_are_unique_and_well_formed_and_bodies_strict() {
    Browser ann = signedIn();
    String slug = slug();
    ok(201, ann.post("/api/orgs", new JsonObject().put("name", "One").put("slug", slug)));
    assertEquals("slug_taken", ann.post("/api/orgs", new JsonObject().put("name", "Two").put("slug", slug)).code());
    for (String bad : new String[] {"-x", "x-", "a b", "ü", "x".repeat(41), ""}) {
      Response refused = ann.post("/api/orgs", new JsonObject().put("name", "Bad").put("slug", bad));
      assertEquals(400, refused.status(), bad + ": " + refused);
    }
    assertEquals(400, ann.post("/api/orgs", new JsonObject().put("name", "X").put("slug", slug()).put("owner", "x")).status());
    assertEquals(400, ann.post("/api/orgs", new JsonObject().put("name", 5).put("slug", slug())).status());
    assertEquals(401, server.browser().post("/api/orgs", new JsonObject().put("name", "X").put("slug", slug())).status());
  }

  @Test
  void outsiders_cannot_tell_an_organisation_exists_and_members_cannot_configure_it() throws Exception {
    Org org = kit.organisation(false);
    Browser outsider = signedIn();
    for (String path : new String[] {"", "/members"}) {
      assertEquals(404, outsider.get("/api/orgs/" + org.slug() + path).status());
    }
    assertEquals(404, outsider.put("/api/orgs/" + org.slug() + "/sso", ssoBody(org, false)).status());

    Browser member = signedIn();
    String memberId = ok(200, member.get("/api/me")).json().getJsonObject("user").getString("id");
    execute("INSERT INTO organisation_members (organisation_id, user_id, role) "
        + "SELECT id, '" + memberId + "', 'member' FROM organisations WHERE slug = '" + org.slug() + "'");
    JsonObject seen = ok(200, member.get("/api/orgs/" + org.slug())).json();
    assertEquals("member", seen.getString("role"));
    assertNull(seen.getJsonObject("sso").getString("clientId"), "members do not see the SSO configuration");
    assertEquals(403, member.get("/api/orgs/" + org.slug() + "/members").status());
    ok(204, member.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)));
    Response refused = member.put("/api/orgs/" + org.slug() + "/sso", ssoBody(org, true));
    assertEquals(403, refused.status());
    assertEquals("owner_required", refused.code());
    assertEquals(403, member.post("/api/orgs/" + org.slug() + "/domains", new JsonObject().put("domain", "x.test")).status());
  }

  @Test
  void domains_and_sso_changes_need_sudo() {
    Browser ann = signedIn();
    String slug = slug();
    ok(201, ann.post("/api/orgs", new JsonObject().put("name", "Sudo").put("slug", slug)));
    Response domain = ann.post("/api/orgs/" + slug + "/domains", new JsonObject().put("domain", "sudo.test"));
    assertEquals(403, domain.status());
    assertEquals("sudo_required", domain.code());
    Response sso = ann.put("/api/orgs/" + slug + "/sso", new JsonObject().put("issuer", "https://idp.test")
        .put("clientId", "x").put("enabled", false));
    assertEquals("sudo_required", sso.code());
  }

  @Test
  void a_domain_counts_only_once_its_txt_record_proves_the_claim_and_only_for_one_organisation() {
    Org first = kit.organisation(false);
    Org second = kit.organisation(false);
    String domain = "shared-" + first.domain();
    String path = "/api/orgs/" + first.slug() + "/domains";
    JsonObject claim = ok(201, first.owner().post(path, new JsonObject().put("domain", " Shared-" + first.domain().toUpperCase())))
        .json();
    assertEquals(domain, claim.getString("domain"));
    assertFalse(claim.getBoolean("verified"));
    assertEquals("_gatehouse-challenge." + domain, claim.getJsonObject("verification").getString("name"));
    assertEquals("domain_exists", first.owner().post(path, new JsonObject().put("domain", domain)).code());

    Response early = first.owner().post(path + "/" + domain + "/verify", null);
    assertEquals(409, early.status());
    assertEquals("domain_not_verified", early.code());
    dns.putTxt("_gatehouse-challenge." + domain, "something else");
    assertEquals("domain_not_verified", first.owner().post(path + "/" + domain + "/verify", null).code());

    // The other organisation may claim it too while it is pending (nobody can squat a domain) …
    JsonObject rival = ok(201, second.owner().post("/api/orgs/" + second.slug() + "/domains",
        new JsonObject().put("domain", domain))).json();
    dns.putTxt("_gatehouse-challenge." + domain, claim.getJsonObject("verification").getString("value"),
        rival.getJsonObject("verification").getString("value"));
    JsonObject verified = ok(200, first.owner().post(path + "/" + domain + "/verify", null)).json();
    assertTrue(verified.getBoolean("verified"));
    // … but only one can hold it verified.
    Response taken = second.owner().post("/api/orgs/" + second.slug() + "/domains/" + domain + "/verify", null);
    assertEquals(409, taken.status());
    assertEquals("domain_taken", taken.code());

    ok(204, first.owner().delete(path + "/" + domain));
    assertEquals(404, first.owner().delete(path + "/" + domain).status());
  }

  @Test
  void switching_sso_on_needs_a_verified_domain() {
    Browser ann = signedIn();
    String slug = slug();
    ok(201, ann.post("/api/orgs", new JsonObject().put("name", "No domain").put("slug", slug)));
    ok(204, ann.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)));
    Response refused = ann.put("/api/orgs/" + slug + "/sso", new JsonObject().put("issuer", "https://idp.test")
        .put("clientId", "x").put("enabled", true));
    assertEquals(409, refused.status(), refused.toString());
    assertEquals("no_verified_domain", refused.code());
    ok(200, ann.put("/api/orgs/" + slug + "/sso", new JsonObject().put("issuer", "https://idp.test")
        .put("clientId", "x").put("enabled", false)));
  }

  @Test
  void the_last_verified_domain_stays_while_sso_is_on() {
    Org org = kit.organisation(true);
    Response refused = org.owner().delete("/api/orgs/" + org.slug() + "/domains/" + org.domain());
    assertEquals(409, refused.status());
    assertEquals("last_sso_domain", refused.code());
  }

  @Test
  void the_client_secret_is_sealed_at_rest_and_never_shown_again() throws Exception {
    Org org = kit.organisation(true);
    JsonObject view = ok(200, org.owner().get("/api/orgs/" + org.slug())).json();
    assertTrue(view.getJsonObject("sso").getBoolean("clientSecretSet"));
    assertFalse(view.encode().contains(org.clientSecret()));
    String stored = stored(org.slug());
    assertTrue(stored.startsWith("v1."), stored);
    assertFalse(stored.contains(org.clientSecret()));

    // Omitted keeps it; empty removes it.
    ok(200, org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", org.issuer())
        .put("clientId", org.clientId()).put("enabled", true)));
    assertEquals(stored, stored(org.slug()));
    JsonObject cleared = ok(200, org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject()
        .put("issuer", org.issuer()).put("clientId", org.clientId()).put("clientSecret", "").put("enabled", false))).json();
    assertFalse(cleared.getJsonObject("sso").getBoolean("clientSecretSet"));
    assertNull(stored(org.slug()));
  }

  @Test
  void issuers_must_be_urls_without_query_or_fragment() {
    Org org = kit.organisation(false);
    for (String bad : new String[] {"idp.test", "ftp://idp.test", "https://idp.test/?x=1", "https://idp.test/#f",
        "https://user:pw@idp.test", "javascript:alert(1)"}) {
      Response refused = org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", bad)
          .put("clientId", "x").put("enabled", false));
      assertEquals(400, refused.status(), bad + ": " + refused);
    }
  }

  @Test
  void owners_see_the_members() {
    Org org = kit.organisation(true);
    ok(302, kit.signIn(server.browser(), org, org.email("mia")));
    var members = ok(200, org.owner().get("/api/orgs/" + org.slug() + "/members")).json().getJsonArray("members");
    assertEquals(2, members.size());
    assertEquals("owner", members.getJsonObject(0).getString("role"));
    assertEquals(org.email("mia"), members.getJsonObject(1).getString("email"));
    assertEquals("member", members.getJsonObject(1).getString("role"));
    assertFalse(members.getJsonObject(1).getBoolean("passwordSet"));
  }

  private static JsonObject ssoBody(Org org, boolean enabled) {
    return new JsonObject().put("issuer", org.issuer()).put("clientId", org.clientId()).put("enabled", enabled);
  }

  private static String stored(String slug) throws SQLException {
    try (Connection c = server.jdbc();
         PreparedStatement s = c.prepareStatement("SELECT sso_client_secret FROM organisations WHERE slug = ?")) {
      s.setString(1, slug);
      ResultSet rs = s.executeQuery();
      assertTrue(rs.next());
      return rs.getString(1);
    }
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = server.jdbc(); var s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
