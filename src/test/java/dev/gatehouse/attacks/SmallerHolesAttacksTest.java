package dev.gatehouse.attacks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.config.Settings;
import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.sso.DomainVerifier;
import dev.gatehouse.sso.IdentityProviders;
import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.LogCapture;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import dev.gatehouse.support.TestPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.http.Ssl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 7: the smaller holes around the server, each as an attacker would use it
 * (docs/security.md 36, 37, 40, 41). The test client plays the trusted proxy (127.0.0.1).
 */
class SmallerHolesAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  /** As in production: https providers only; private addresses allowed, since every test provider runs on 127.0.0.1. */
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(dns -> new JsonObject()
      .put(Settings.TRUSTED_PROXIES, "127.0.0.1")
      .put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 5)
      .put(DomainVerifier.DNS_SERVER, dns.address())
      .put(IdentityProviders.ALLOW_PRIVATE_ISSUERS, "true"), CLOCK);
  static final RunningServer server = kit.server;
  /** With the development switches, for the mock provider over plain http. */
  @RegisterExtension
  static final SsoKit developmentKit = SsoKit.fixture();
  static final RunningServer development = developmentKit.server;

  @Test
  void a_client_cannot_hide_behind_an_x_forwarded_for_line_of_its_own_in_front_of_the_proxys() {
    String realClient = "198.51.100.7";
    Browser attacker = server.browser();
    List<Integer> statuses = new ArrayList<>();
    try (LogCapture log = LogCapture.attach()) {
      for (int i = 1; i <= 7; i++) {
        // The attacker's own line comes first; the proxy adds its line (the address it saw) after it.
        attacker.headerLines("X-Forwarded-For", "203.0.113." + i, realClient);
        statuses.add(attacker.signIn(Emails.unique("sprayed"), "Spring2026!").status());
      }
      assertTrue(log.lines().stream().anyMatch(l -> l.contains("dev.gatehouse.access") && l.contains("/api/session")
          && l.endsWith(" " + realClient)), "the access log names the address the proxy saw");
      assertFalse(log.text().contains("203.0.113."), "never an address the client wrote itself");
    }
    assertEquals(List.of(401, 401, 401, 401, 429, 429, 429), statuses,
        "the 5th failure from one real address uses its budget up, whatever the client wrote");
    CLOCK.advance(Duration.ofHours(2));
  }

  @Test
  void the_security_log_names_the_address_the_proxy_saw_not_the_one_the_client_wrote() {
    TwoFactorUser user = TwoFactorUser.signedIn(server, CLOCK);
    Browser thief = server.browser().headerLines("X-Forwarded-For", "192.0.2.1", "203.0.113.66, 127.0.0.1");
    assertEquals(401, thief.signIn(user.email, "not the password").status());
    JsonArray events = user.browser.get("/api/me/security-events").json().getJsonArray("events");
    JsonObject failed = events.getJsonObject(0);
    assertEquals("signin.password_failed", failed.getString("type"));
    assertEquals("203.0.113.66", failed.getString("ip"), "walked from the right, past our own proxies");
    CLOCK.advance(Duration.ofHours(2));
  }

  @Test
  void another_site_cannot_have_the_browser_download_or_print_the_recovery_codes() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    user.sudo(user.browser);
    for (String path : List.of("/account/recovery-codes.txt", "/account/recovery-codes/print")) {
      // A link on another site: a top-level navigation, so the Lax session cookie goes along.
      Response crossSite = user.browser.send(user.browser.request(path).header("Sec-Fetch-Site", "cross-site")
          .header("Sec-Fetch-Mode", "navigate"));
      assertEquals(403, crossSite.status(), path + ": " + crossSite);
      assertEquals("cross_site", crossSite.code());
      assertFalse(crossSite.body().contains(user.recoveryCodes.get(0)), "no code in the refusal");

      Response ours = user.browser.send(user.browser.request(path).header("Sec-Fetch-Site", "same-origin"));
      assertEquals(200, ours.status(), path + " from our own page still works");
    }
    List<String> types = user.browser.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("type")).toList();
    assertEquals(1, types.stream().filter("recovery_codes.downloaded"::equals).count(), types.toString());
    assertEquals(1, types.stream().filter("recovery_codes.printed"::equals).count(), types.toString());
  }

  @Test
  void another_site_cannot_start_an_sso_sign_in_in_your_browser() {
    Org org = developmentKit.organisation(true);
    // A link from a sibling subdomain the attacker controls (or an older browser that labels nothing).
    Browser victim = development.browser();
    Response link = victim.send(victim.request("/sso/" + org.slug() + "/start").header("Sec-Fetch-Site", "same-site"));
    assertEquals(302, link.status(), link.toString());
    assertEquals("/signin?sso=" + org.slug(), link.header("Location"), "a GET starts nothing: no trip to the provider");

    // A form on another site posts without our CSRF token, or is labelled cross-site.
    Browser forged = development.browser().withoutCsrf();
    forged.get("/");
    Response form = forged.post("/sso/" + org.slug() + "/start", new JsonObject());
    assertEquals(403, form.status(), form.toString());
    Response labelled = victim.send(victim.request("/sso/" + org.slug() + "/start").header("Sec-Fetch-Site", "cross-site")
        .header("X-XSRF-TOKEN", victim.cookie("XSRF-TOKEN").orElse("")).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(403, labelled.status(), labelled.toString());

    // Nothing was started in the victim's session: the provider's answer to someone else's sign-in is refused.
    URI back = developmentKit.authorize(development.browser(), org);
    Response callback = developmentKit.callback(victim, org, back, SsoKit.vouched(org.email("attacker")));
    assertEquals("/signin?sso_error=sso_state_invalid", callback.header("Location"));
    assertEquals(401, victim.get("/api/me").status());

    // Our own page still starts it.
    Response ours = SsoKit.start(victim, org.slug());
    assertEquals(200, ours.status(), ours.toString());
    assertTrue(ours.json().getString("location").startsWith(org.provider().authorizationEndpointUrl(org.slug()).toString()));
  }

  @Test
  void a_provider_whose_sign_in_page_is_plain_http_is_refused() throws Exception {
    Org org = kit.organisation(false);
    try (HttpsProvider provider = HttpsProvider.start()) {
      provider.authorizationScheme = "https";
      assertEquals(200, saveProvider(org, provider.issuer()).status(), "an all-https provider is accepted");

      // Same provider, but the page people type their password into would be plain http.
      provider.authorizationScheme = "http";
      Response refused = saveProvider(org, provider.issuer());
      assertEquals(422, refused.status(), refused.toString());
      assertEquals("sso_provider_unusable", refused.code());
    }
  }

  private static Response saveProvider(Org org, String issuer) {
    return org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", issuer)
        .put("clientId", org.clientId()).put("clientSecret", org.clientSecret()).put("enabled", true));
  }

  /**
   * A minimal OpenID Connect provider over https on 127.0.0.1 (discovery and keys only), with a
   * self-signed certificate this JVM trusts while it runs.
   */
  static final class HttpsProvider implements AutoCloseable {
    private static final String[] TRUST = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
        "javax.net.ssl.trustStoreType"};
    private final HttpsServer https;
    private final String[] previous = new String[TRUST.length];
    volatile String authorizationScheme = "https";

    private HttpsProvider(HttpsServer https) {
      this.https = https;
    }

    static HttpsProvider start() throws Exception {
      Ssl ssl = new Ssl();
      KeyStore keys = ssl.getSslKeystore().getKeyStore();
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("provider", keys.getCertificate(keys.aliases().nextElement()));
      Path file = TestPostgres.tempDir("provider-trust").resolve("trust.p12");
      try (OutputStream out = Files.newOutputStream(file)) {
        trust.store(out, "changeit".toCharArray());
      }
      HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      https.setHttpsConfigurator(new HttpsConfigurator(ssl.sslContext()));
      HttpsProvider provider = new HttpsProvider(https);
      String[] values = {file.toString(), "changeit", "PKCS12"};
      for (int i = 0; i < TRUST.length; i++) {
        provider.previous[i] = System.getProperty(TRUST[i]);
        System.setProperty(TRUST[i], values[i]);
      }
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
      JsonObject jwks = new JsonObject().put("keys", new JsonArray().add(new JsonObject().put("kty", "RSA")
          .put("kid", "k1").put("use", "sig").put("alg", "RS256")
          .put("n", unsigned(key.getModulus())).put("e", unsigned(key.getPublicExponent()))));
      https.createContext("/p/.well-known/openid-configuration", exchange -> {
        String base = provider.issuer();
        respond(exchange, new JsonObject().put("issuer", base)
            .put("authorization_endpoint", base.replace("https:", provider.authorizationScheme + ":") + "/authorize")
            .put("token_endpoint", base + "/token").put("jwks_uri", base + "/jwks"));
      });
      https.createContext("/p/jwks", exchange -> respond(exchange, jwks));
      https.start();
      return provider;
    }

    String issuer() {
      return "https://localhost:" + https.getAddress().getPort() + "/p";
    }

    private static String unsigned(BigInteger value) {
      byte[] bytes = value.toByteArray();
      int from = bytes[0] == 0 ? 1 : 0;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(bytes, from, bytes.length));
    }

    private static void respond(HttpExchange exchange, JsonObject json) throws java.io.IOException {
      byte[] body = json.encode().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }

    @Override
    public void close() {
      https.stop(0);
      for (int i = 0; i < TRUST.length; i++) {
        if (previous[i] == null) {
          System.clearProperty(TRUST[i]);
        } else {
          System.setProperty(TRUST[i], previous[i]);
        }
      }
    }
  }
}
