package dev.gatehouse.sso;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.FakeDns;
import dev.gatehouse.support.RunningServer;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What the SSO tests share: organisations set up the way an owner would (sign up, create, claim a
 * domain, publish its TXT record, verify, connect a provider), each with its own in-process
 * OpenID Connect provider (mock-oauth2-server), and the redirect dance driven over HTTP. Public so
 * that browser tests elsewhere can set up an organisation the same way.
 *
 * <p>A test class gets its DNS, its server and the kit at once, as a JUnit extension:
 * {@code @RegisterExtension static final SsoKit kit = SsoKit.fixture(CLOCK);} with
 * {@code static final RunningServer server = kit.server;}. The server starts before the class's first
 * test and stops after its last, with the DNS and the providers.
 */
public final class SsoKit implements AutoCloseable, BeforeAllCallback, AfterAllCallback {

  public static final String PASSWORD = "correct horse battery staple";

  public final RunningServer server;
  public final FakeDns dns;
  /** The server when this kit starts it for a test class ({@link #fixture}), else null. */
  private final ServerFixture ownServer;
  private final List<MockOAuth2Server> providers = new ArrayList<>();
  private final HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  /** A kit for a server and a DNS that the test started and stops. */
  public SsoKit(RunningServer server, FakeDns dns) {
    this(server, dns, null);
  }

  private SsoKit(RunningServer server, FakeDns dns, ServerFixture ownServer) {
    this.server = server;
    this.dns = dns;
    this.ownServer = ownServer;
  }

  /** A DNS, and a server with {@link #settings} and the real clock, for the tests of a class. */
  public static SsoKit fixture() {
    return fixture(Clock.systemUTC());
  }

  /** A DNS, and a server with {@link #settings} and this clock, for the tests of a class. */
  public static SsoKit fixture(Clock clock) {
    return fixture(SsoKit::settings, clock);
  }

  /** A DNS, and a server with the settings made for it (rather than {@link #settings}), for the tests of a class. */
  public static SsoKit fixture(Function<FakeDns, JsonObject> settings) {
    return fixture(settings, Clock.systemUTC());
  }

  /** As {@link #fixture(Function)}, with this clock. */
  public static SsoKit fixture(Function<FakeDns, JsonObject> settings, Clock clock) {
    FakeDns dns = FakeDns.start();
    ServerFixture server = ServerFixture.start(() -> settings.apply(dns), clock);
    SsoKit kit = new SsoKit(server, dns, server);
    server.closing(kit, dns);
    return kit;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ownServer().beforeAll(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    ownServer().afterAll(context);
  }

  private ServerFixture ownServer() {
    if (ownServer == null) {
      throw new IllegalStateException("only a kit from SsoKit.fixture() is an extension; this one's server is the test's");
    }
    return ownServer;
  }

  /**
   * Server settings the SSO tests need: our DNS, and http:// issuers on private addresses (the mock
   * provider is plain http on 127.0.0.1).
   */
  public static JsonObject settings(FakeDns dns) {
    return new JsonObject().put(DomainVerifier.DNS_SERVER, dns.address()).put(OrganisationRoutes.ALLOW_HTTP_ISSUERS, "true")
        .put(IdentityProviders.ALLOW_PRIVATE_ISSUERS, "true");
  }

  /** An organisation, its owner (signed in, with sudo) and its provider. */
  public record Org(String slug, String name, String domain, String clientId, String clientSecret, String ownerEmail,
             Browser owner, MockOAuth2Server provider) {

    public String issuer() {
      return provider.issuerUrl(slug).toString();
    }

    public String email(String who) {
      return who + "@" + domain;
    }
  }

  /** An organisation with a verified domain; SSO switched on when asked. */
  public Org organisation(boolean ssoOn) {
    return organisation(ssoOn, new MockOAuth2Server());
  }

  /** As {@link #organisation(boolean)}, with a provider of the test's making (not yet started). */
  public Org organisation(boolean ssoOn, MockOAuth2Server provider) {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String slug = "org-" + id;
    String domain = id + ".test";
    provider.start();
    providers.add(provider);
    Browser owner = server.browser();
    String ownerEmail = "owner@" + domain;
    ok(201, owner.signUp(ownerEmail, PASSWORD));
    ok(200, owner.signIn(ownerEmail, PASSWORD));
    ok(201, owner.post("/api/orgs", new JsonObject().put("name", "Org " + id).put("slug", slug)));
    ok(204, owner.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)));
    Org org = new Org(slug, "Org " + id, domain, "gatehouse-" + id, "client-secret-" + UUID.randomUUID(), ownerEmail,
        owner, provider);
    verifyDomain(org, domain);
    if (ssoOn) {
      switchSso(org, true);
    }
    return org;
  }

  public void verifyDomain(Org org, String domain) {
    Response added = ok(201, org.owner().post("/api/orgs/" + org.slug() + "/domains", new JsonObject().put("domain", domain)));
    JsonObject record = added.json().getJsonObject("verification");
    dns.putTxt(record.getString("name"), record.getString("value"));
    ok(200, org.owner().post("/api/orgs/" + org.slug() + "/domains/" + domain + "/verify", null));
  }

  public Response switchSso(Org org, boolean on) {
    return ok(200, org.owner().put("/api/orgs/" + org.slug() + "/sso", new JsonObject().put("issuer", org.issuer())
        .put("clientId", org.clientId()).put("clientSecret", org.clientSecret()).put("enabled", on)));
  }

  /**
   * The owner points the organisation at another issuer of its mock provider: to Gatehouse a new
   * provider (its own issuer, keys and subjects). {@code carryOverMembers} is sent when not null.
   */
  public Response changeIssuer(Org org, String issuerId, Boolean carryOverMembers) {
    JsonObject body = new JsonObject().put("issuer", org.provider().issuerUrl(issuerId).toString())
        .put("clientId", org.clientId()).put("enabled", true);
    if (carryOverMembers != null) {
      body.put("carryOverMembers", carryOverMembers);
    }
    return org.owner().put("/api/orgs/" + org.slug() + "/sso", body);
  }

  /** A whole sign-in through the organisation's provider as it is configured now, issuer {@code issuerId}. */
  public Response signInAt(Browser browser, Org org, String issuerId, String email, String subject) {
    URI back = authorize(browser, org);
    org.provider().enqueueCallback(new DefaultOAuth2TokenCallback(issuerId, subject, "JWT", null, vouched(email), 3600));
    return browser.get(pathAndQuery(back));
  }

  /** Starts SSO as the web app does: a POST with the CSRF token, answered with where the provider is. */
  public static Response start(Browser browser, String slug) {
    return browser.post("/sso/" + slug + "/start", new JsonObject());
  }

  /**
   * Start → the provider's authorize endpoint (followed with a plain client, as a browser would) →
   * the URI the provider sends the browser back to, with code and state. The callback is not called.
   */
  public URI authorize(Browser browser, Org org) {
    return authorizeFrom(browser, org, start(browser, org.slug()));
  }

  /**
   * Sudo for an account without a password, as the web app asks for it: {@code POST /api/me/sudo}
   * names the start, which answers where the provider is. Asked for a fresh sign-in
   * ({@code prompt=login}), mock-oauth2-server shows its login page instead of answering at once;
   * the person signs in there as {@code subject} (the provider's login form, whose claims go into
   * the ID token), and the URI the provider sends the browser back to is answered. The callback is
   * not called: {@link #callback(Browser, Org, URI, String, Map, long)} with the same subject and claims.
   */
  public URI reauthenticate(Browser browser, Org org, String subject, Map<String, Object> claims) {
    Response sudo = browser.post("/api/me/sudo", new JsonObject());
    assertEquals(403, sudo.status(), sudo.toString());
    assertEquals("sso_reauthentication_required", sudo.code());
    Response start = browser.post(sudo.json().getString("ssoUrl"), new JsonObject());
    assertEquals(200, start.status(), start.toString());
    URI authorize = URI.create(start.json().getString("location"));
    Map<String, String> query = query(authorize);
    assertEquals("login", query.get("prompt"));
    assertEquals("0", query.get("max_age"));
    try {
      HttpResponse<String> page = plain.send(HttpRequest.newBuilder(authorize).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode(), "the provider asks the person to sign in again");
      String form = "username=" + URLEncoder.encode(subject, StandardCharsets.UTF_8)
          + "&claims=" + URLEncoder.encode(new JsonObject(claims).encode(), StandardCharsets.UTF_8);
      HttpResponse<String> signedIn = plain.send(HttpRequest.newBuilder(authorize)
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(302, signedIn.statusCode(), signedIn.body());
      return URI.create(signedIn.headers().firstValue("Location").orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The whole re-authentication for the provider's person {@code subject}, answered with the callback's response. */
  public Response reauthenticated(Browser browser, Org org, String subject, Map<String, Object> claims) {
    return callback(browser, org, reauthenticate(browser, org, subject, claims), subject, claims, 3600);
  }

  private URI authorizeFrom(Browser browser, Org org, Response start) {
    assertEquals(200, start.status(), start.toString());
    URI authorize = URI.create(start.json().getString("location"));
    Map<String, String> query = query(authorize);
    assertEquals("S256", query.get("code_challenge_method"));
    assertNotNull(query.get("code_challenge"));
    assertNotNull(query.get("nonce"));
    assertNotNull(query.get("state"));
    assertEquals(org.clientId(), query.get("client_id"));
    try {
      HttpResponse<String> answer = plain.send(HttpRequest.newBuilder(authorize).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(302, answer.statusCode(), answer.body());
      return URI.create(answer.headers().firstValue("Location").orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Calls the callback with the browser, the provider issuing a token with these claims for the
   * code, for the subject the provider keeps for that email ({@link #subjectOf}).
   */
  public Response callback(Browser browser, Org org, URI back, Map<String, Object> claims) {
    return callback(browser, org, back, claims, 3600);
  }

  public Response callback(Browser browser, Org org, URI back, Map<String, Object> claims, long expirySeconds) {
    Object email = claims.get("email");
    return callback(browser, org, back, email instanceof String e ? subjectOf(e) : "subject-" + UUID.randomUUID(),
        claims, expirySeconds);
  }

  /** As {@link #callback}, for a subject of the test's choosing (a provider's own, stable name for a person). */
  public Response callback(Browser browser, Org org, URI back, String subject, Map<String, Object> claims,
                           long expirySeconds) {
    org.provider().enqueueCallback(new DefaultOAuth2TokenCallback(org.slug(), subject, "JWT", null, claims,
        expirySeconds));
    return browser.get(pathAndQuery(back));
  }

  /** The whole dance for a person the provider vouches for. */
  public Response signIn(Browser browser, Org org, String email) {
    return callback(browser, org, authorize(browser, org), vouched(email));
  }

  /** The whole dance for the provider's person {@code subject}, who has this email there now. */
  public Response signIn(Browser browser, Org org, String email, String subject) {
    return callback(browser, org, authorize(browser, org), subject, vouched(email), 3600);
  }

  /** The subject a provider keeps for a person, as the tests' providers name them: one per address. */
  public static String subjectOf(String email) {
    return "subject-" + email.toLowerCase(java.util.Locale.ROOT);
  }

  public static Map<String, Object> vouched(String email) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("email", email);
    claims.put("email_verified", true);
    claims.put("name", "Member " + email.substring(0, email.indexOf('@')));
    return claims;
  }

  /** As {@link #vouched}, with the time the person signed in at the provider ({@code auth_time}, epoch seconds). */
  public static Map<String, Object> vouched(String email, long authTime) {
    Map<String, Object> claims = vouched(email);
    claims.put("auth_time", authTime);
    return claims;
  }

  public static String pathAndQuery(URI uri) {
    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  public static Map<String, String> query(URI uri) {
    Map<String, String> params = new HashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        params.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return params;
  }

  public static Response ok(int status, Response response) {
    assertEquals(status, response.status(), response.toString());
    return response;
  }

  @Override
  public void close() {
    providers.forEach(p -> {
      try {
        p.shutdown();
      } catch (RuntimeException e) {
        // already stopped by a test
      }
    });
  }
}
