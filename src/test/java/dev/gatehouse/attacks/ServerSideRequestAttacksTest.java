package dev.gatehouse.attacks;

import dev.gatehouse.sso.DomainVerifier;
import dev.gatehouse.sso.OrganisationRoutes;
import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 4 (docs/security.md 36): an organisation's owner names the issuer URL, so without a
 * rule they could make the server fetch internal addresses (metadata services, admin pages) and
 * tell from the answers what is reachable. The guarded server runs as in production, without
 * {@code GATEHOUSE_SSO_ALLOW_PRIVATE_ISSUERS}; its providers (mock-oauth2-server) really run on
 * 127.0.0.1, so a refusal is not just a dead address. The second server allows private issuers, as
 * the other SSO tests do, to show that owners get one answer for every failure.
 */
class ServerSideRequestAttacksTest {

  @RegisterExtension
  static final SsoKit guardedKit = SsoKit.fixture(dns -> new JsonObject().put(DomainVerifier.DNS_SERVER, dns.address())
      .put(OrganisationRoutes.ALLOW_HTTP_ISSUERS, "true"));
  static final RunningServer guarded = guardedKit.server;
  @RegisterExtension
  static final SsoKit developmentKit = SsoKit.fixture();
  static final RunningServer development = developmentKit.server;

  @Test
  void an_owner_cannot_make_the_server_fetch_loopback_private_or_link_local_addresses() {
    Org org = guardedKit.organisation(false);
    int port = org.provider().baseUrl().port();
    List<String> issuers = List.of(
        org.issuer(),                                     // a name (localhost) that resolves to loopback
        "http://127.0.0.1:" + port + "/" + org.slug(),
        "http://[::1]:" + port + "/" + org.slug(),
        "http://[::ffff:127.0.0.1]:" + port + "/" + org.slug(),
        "http://0.0.0.0:" + port + "/" + org.slug(),
        "http://10.0.0.5/realms/x",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/",
        "http://[fe80::1]/");
    Set<String> details = new HashSet<>();
    try (LogCapture log = LogCapture.attach()) {
      for (String issuer : issuers) {
        long started = System.nanoTime();
        Response refused = org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", issuer)
            .put("clientId", org.clientId()).put("clientSecret", org.clientSecret()).put("enabled", true));
        assertEquals(422, refused.status(), issuer + ": " + refused);
        assertEquals("sso_provider_unusable", refused.code());
        details.add(refused.json().getString("detail"));
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 3000,
            issuer + " was refused before any connection, not after a timeout");
      }
      assertTrue(log.text().contains("localhost is 127.0.0.1 (loopback)"), "the log keeps the reason");
      assertTrue(log.text().contains("169.254.169.254 is 169.254.169.254 (link-local)"), "the log keeps the reason");
    }
    assertEquals(1, details.size(), "one answer whatever the address: " + details);
    assertFalse(contacted(org.provider()), "the provider on 127.0.0.1 never saw a request");
    assertFalse(org.owner().get("/api/orgs/" + org.slug()).json().getJsonObject("sso").getBoolean("enabled"));
  }

  @Test
  void a_provider_moved_to_a_private_address_is_not_fetched_when_someone_signs_in() throws Exception {
    Org org = guardedKit.organisation(false);
    // Configured straight in the database, as if it had been saved while the address was public.
    try (Connection c = guarded.jdbc(); PreparedStatement s = c.prepareStatement(
        "UPDATE organisations SET sso_issuer = ?, sso_client_id = ?, sso_enabled = true WHERE slug = ?")) {
      s.setString(1, org.issuer());
      s.setString(2, org.clientId());
      s.setString(3, org.slug());
      s.executeUpdate();
    }
    Browser browser = guarded.browser();
    Response start = SsoKit.start(browser, org.slug());
    assertEquals(503, start.status(), start.toString());
    assertEquals("sso_unavailable", start.code());
    assertFalse(contacted(org.provider()), "the provider on 127.0.0.1 never saw a request");
  }

  @Test
  void owners_get_one_answer_whether_the_address_answered_or_not() {
    Org org = developmentKit.organisation(false);
    Set<String> details = new HashSet<>();
    try (LogCapture log = LogCapture.attach()) {
      for (String issuer : List.of(development.baseUrl() + "/not-a-provider", "http://127.0.0.1:9/nobody-listens")) {
        Response refused = org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", issuer)
            .put("clientId", org.clientId()).put("enabled", true));
        assertEquals(422, refused.status(), refused.toString());
        details.add(refused.json().getString("detail"));
      }
      String text = log.text();
      assertTrue(text.contains("not a JSON object") && text.contains("could not be reached"), "the log tells them apart");
    }
    assertEquals(1, details.size(), "a server that answered and one that did not look the same: " + details);
  }

  /** Whether the provider received any request at all. */
  private static boolean contacted(MockOAuth2Server provider) {
    try {
      return provider.takeRequest(300, TimeUnit.MILLISECONDS) != null;
    } catch (RuntimeException none) {
      return false;
    }
  }
}
