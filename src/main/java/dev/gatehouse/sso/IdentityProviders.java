package dev.gatehouse.sso;

import dev.gatehouse.crypto.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Each organisation's OpenID Connect provider, found by discovery from its issuer URL (the
 * provider's endpoints and signing keys), cached per organisation for a short time. Every request
 * to a provider goes through {@link ProviderClient}, which refuses private addresses
 * (docs/security.md 36). Discovery is asynchronous, so no event loop ever waits for a provider;
 * requests arriving while it runs share it. A failed discovery is remembered for a few seconds only.
 */
public final class IdentityProviders {

  private static final Logger LOG = LoggerFactory.getLogger(IdentityProviders.class);
  /** How long a discovered provider is reused, in seconds (default 300). */
  public static final String DISCOVERY_TTL_SECONDS = "GATEHOUSE_SSO_DISCOVERY_TTL_SECONDS";
  /** "true" lets provider requests go to loopback and private addresses (a provider on a development machine). */
  public static final String ALLOW_PRIVATE_ISSUERS = "GATEHOUSE_SSO_ALLOW_PRIVATE_ISSUERS";
  /** Longest wait for a provider's discovery document, keys or token endpoint. */
  static final Duration PROVIDER_TIMEOUT = Duration.ofSeconds(10);
  /** How long a failed discovery is answered from the cache before the provider is asked again. */
  private static final Duration FAILURE_TTL = Duration.ofSeconds(10);
  private static final String DISCOVERY_PATH = "/.well-known/openid-configuration";

  /**
   * A discovered provider: where people are sent, where codes are exchanged, and the keys its ID
   * tokens are signed with. Holds the client secret, so it never prints it.
   */
  static final class Provider {
    private final String issuer;
    private final String clientId;
    private final String clientSecret;
    private final String authorizationEndpoint;
    private final String tokenEndpoint;
    private final JWTAuth keys;

    Provider(String issuer, String clientId, String clientSecret, String authorizationEndpoint, String tokenEndpoint,
             JWTAuth keys) {
      this.issuer = issuer;
      this.clientId = clientId;
      this.clientSecret = clientSecret;
      this.authorizationEndpoint = authorizationEndpoint;
      this.tokenEndpoint = tokenEndpoint;
      this.keys = keys;
    }

    /** The issuer its ID tokens must name, exactly as its discovery document says it. */
    String issuer() {
      return issuer;
    }

    String clientId() {
      return clientId;
    }

    /** The authorization endpoint with the request's parameters (in order) added to its query. */
    String authorizeUrl(Map<String, String> parameters) {
      StringBuilder url = new StringBuilder(authorizationEndpoint).append(authorizationEndpoint.contains("?") ? '&' : '?');
      parameters.forEach((name, value) -> url.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(value, StandardCharsets.UTF_8)).append('&'));
      return url.substring(0, url.length() - 1);
    }

    @Override
    public String toString() {
      return "Provider[" + issuer + "]";
    }
  }

  /** The provider would not exchange the code: its OAuth error, for the log. */
  static final class CodeRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CodeRefused(String reason) {
      super(reason, null, false, false);
    }
  }

  private record Entry(String fingerprint, Future<Provider> provider, long expiresAtNanos) {
    boolean usableFor(String wanted, long now) {
      return fingerprint.equals(wanted) && now - expiresAtNanos < 0;
    }
  }

  private final Vertx vertx;
  private final Envelope envelope;
  private final long ttlNanos;
  private final boolean allowHttp;
  private final ProviderClient client;
  private final Map<UUID, Entry> cache = new ConcurrentHashMap<>();

  public IdentityProviders(Vertx vertx, Envelope envelope, Duration ttl, boolean allowHttp, boolean allowPrivate) {
    this.vertx = vertx;
    this.envelope = envelope;
    this.ttlNanos = ttl.toNanos();
    this.allowHttp = allowHttp;
    this.client = new ProviderClient(vertx, allowPrivate, PROVIDER_TIMEOUT.toMillis());
  }

  /** The organisation's provider, from the cache while it is fresh and its configuration unchanged. */
  Future<Provider> of(Organisation org) {
    String fingerprint = org.providerFingerprint();
    long now = System.nanoTime();
    Entry cached = cache.get(org.id());
    if (cached != null && cached.usableFor(fingerprint, now)) {
      return cached.provider();
    }
    Promise<Provider> promise = Promise.promise();
    Entry fresh = new Entry(fingerprint, promise.future(), now + ttlNanos);
    AtomicReference<Entry> replaced = new AtomicReference<>();
    Entry chosen = cache.compute(org.id(), (id, old) -> {
      if (old != null && old.usableFor(fingerprint, now)) {
        return old;
      }
      replaced.set(old);
      return fresh;
    });
    if (chosen != fresh) {
      return chosen.provider();
    }
    discover(org).onComplete(promise);
    // A failure is remembered briefly, so that a broken provider is not asked again on every request.
    promise.future().onFailure(err -> cache.computeIfPresent(org.id(), (id, current) -> current != fresh ? current
        : new Entry(fingerprint, fresh.provider(), System.nanoTime() + FAILURE_TTL.toNanos())));
    return promise.future();
  }

  /** Forgets the organisation's provider (its configuration changed, or its keys did). */
  void evict(UUID organisation) {
    cache.remove(organisation);
  }

  /**
   * Runs discovery for a configuration without caching it: how owners find out, before switching
   * SSO on, that the issuer URL is wrong or the provider unreachable.
   */
  Future<Provider> probe(Organisation org) {
    return discover(org);
  }

  /**
   * Exchanges an authorization code (with our PKCE verifier) at the token endpoint, and answers the
   * ID token's claims once its signature checked out against the provider's keys. The claims still
   * need {@link IdTokenCheck}. Fails with {@link CodeRefused} when the provider refused the code,
   * {@link SsoFailure} ({@code sso_token_invalid}) for a token whose signature does not hold, and
   * anything else when the provider could not be reached.
   */
  Future<JsonObject> exchange(Provider provider, UUID organisation, String code, String redirectUri, String verifier) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", code);
    form.put("redirect_uri", redirectUri);
    form.put("code_verifier", verifier);
    String authorization = null;
    if (provider.clientSecret == null) {
      form.put("client_id", provider.clientId);
    } else {
      // client_secret_basic, as vertx-auth-oauth2 sent it before: the default every provider supports.
      authorization = "Basic " + Base64.getEncoder().encodeToString(
          (provider.clientId + ":" + provider.clientSecret).getBytes(StandardCharsets.UTF_8));
    }
    return client.postForm(provider.tokenEndpoint, form, authorization).compose(reply -> {
      JsonObject json = reply.json();
      if (reply.status() / 100 != 2) {
        return Future.failedFuture(new CodeRefused("the provider answered HTTP " + reply.status()
            + (json != null && json.getValue("error") instanceof String error ? " " + error
                + (json.getValue("error_description") instanceof String d ? ": " + d : "") : "")));
      }
      if (json == null || !(json.getValue("id_token") instanceof String idToken)) {
        return Future.failedFuture(new CodeRefused("the token response holds no ID token"));
      }
      return verify(provider, organisation, idToken);
    });
  }

  /** The claims of an ID token whose signature one of the provider's keys confirms. */
  private Future<JsonObject> verify(Provider provider, UUID organisation, String idToken) {
    // Exactly three parts: the key library would take an unsigned token if it had no usable key at all.
    if (idToken.split("\\.", -1).length != 3) {
      return Future.failedFuture(invalidToken("not a signed JWT"));
    }
    return provider.keys.authenticate(new TokenCredentials(idToken))
        .map(user -> user.attributes().getJsonObject("accessToken"))
        .recover(err -> {
          if (err.getClass().getSimpleName().equals("NoSuchKeyIdException")) {
            // Signed with a key we have not seen: the provider rotated its keys. Discover afresh next time.
            evict(organisation);
            return Future.failedFuture(invalidToken("signed with a key that is not in the provider's key set"));
          }
          return Future.failedFuture(invalidToken(String.valueOf(err.getMessage())));
        });
  }

  private static SsoFailure invalidToken(String reason) {
    return new SsoFailure(SsoFailure.TOKEN_INVALID, "ID token refused: " + reason);
  }

  private Future<Provider> discover(Organisation org) {
    String secret;
    try {
      secret = org.sealedSecret() == null ? null : envelope.openString(org.sealedSecret(), org.secretContext());
    } catch (RuntimeException e) {
      return Future.failedFuture(new SsoFailure(SsoFailure.UNAVAILABLE,
          "the stored client secret cannot be opened (" + e.getMessage() + ")"));
    }
    String issuer = org.issuer().endsWith("/") ? org.issuer().substring(0, org.issuer().length() - 1) : org.issuer();
    return client.getJson(issuer + DISCOVERY_PATH)
        .map(reply -> Metadata.from(reply, issuer, allowHttp))
        .compose(metadata -> client.getJson(metadata.jwksUri())
            .map(reply -> keys(reply, metadata))
            .map(keys -> new Provider(metadata.issuer(), org.clientId(), secret, metadata.authorizationEndpoint(),
                metadata.tokenEndpoint(), keys)))
        .onSuccess(provider -> LOG.info("OpenID Connect provider of organisation {} discovered", org.slug()))
        .recover(err -> Future.failedFuture(new SsoFailure(SsoFailure.UNAVAILABLE, "discovery failed: " + describe(err))));
  }

  private JWTAuth keys(ProviderClient.Reply reply, Metadata metadata) {
    JsonArray keys = reply.status() == 200 && reply.json() != null && reply.json().getValue("keys") instanceof JsonArray a
        ? a : null;
    List<JsonObject> jwks = new ArrayList<>();
    if (keys != null) {
      keys.forEach(key -> {
        if (key instanceof JsonObject k) {
          jwks.add(k);
        }
      });
    }
    if (jwks.isEmpty()) {
      throw new SsoFailure(SsoFailure.UNAVAILABLE, reply.status() != 200
          ? "the key set at jwks_uri answered HTTP " + reply.status() : "the key set at jwks_uri holds no keys");
    }
    return JWTAuth.create(vertx, new JWTAuthOptions().setJwks(jwks)
        .setJWTOptions(new JWTOptions().setLeeway((int) IdTokenCheck.LEEWAY_SECONDS).setIssuer(metadata.issuer())));
  }

  /** What a discovery document must hold, each endpoint an absolute https URL (http only with the development switch). */
  record Metadata(String issuer, String authorizationEndpoint, String tokenEndpoint, String jwksUri) {

    static Metadata from(ProviderClient.Reply reply, String configuredIssuer, boolean allowHttp) {
      if (reply.status() != 200) {
        throw unusable("the discovery document answered HTTP " + reply.status());
      }
      JsonObject doc = reply.json();
      if (doc == null) {
        throw unusable("the discovery document is not a JSON object");
      }
      if (!(doc.getValue("issuer") instanceof String issuer)
          || !(issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer).equals(configuredIssuer)) {
        throw unusable("the discovery document names a different issuer than the configured URL");
      }
      return new Metadata(issuer, endpoint(doc, "authorization_endpoint", allowHttp),
          endpoint(doc, "token_endpoint", allowHttp), endpoint(doc, "jwks_uri", allowHttp));
    }

    private static String endpoint(JsonObject doc, String name, boolean allowHttp) {
      if (!(doc.getValue(name) instanceof String value)) {
        throw unusable("the discovery document names no " + name);
      }
      URI uri;
      try {
        uri = new URI(value);
      } catch (URISyntaxException e) {
        throw unusable("its " + name + " is not a URL");
      }
      boolean https = "https".equals(uri.getScheme());
      if (!(https || allowHttp && "http".equals(uri.getScheme())) || uri.getHost() == null
          || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
        // The browser goes to the authorization endpoint with the person's sign-in: never over plain http.
        throw unusable("its " + name + " is not an https URL");
      }
      return value;
    }

    private static SsoFailure unusable(String reason) {
      return new SsoFailure(SsoFailure.UNAVAILABLE, reason);
    }
  }

  /** True when a failure means the provider could not be reached (rather than refused something). */
  static boolean unreachable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof TimeoutException
          || t instanceof ProviderClient.Refused || t instanceof io.vertx.core.http.HttpClosedException) {
        return true;
      }
      String name = t.getClass().getName();
      if (name.endsWith("TimeoutException") || name.endsWith("ConnectTimeoutException")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * A short description of a provider failure for the log: what went wrong, never a response body
   * (an issuer URL can point anywhere, and bodies can hold anything). Owners see one generic
   * message instead, so that the answer tells nothing about what is reachable from the server.
   */
  static String describe(Throwable err) {
    if (err instanceof SsoFailure || err instanceof ProviderClient.Refused) {
      return err.getMessage();
    }
    if (unreachable(err)) {
      return "the provider could not be reached in time (" + err.getClass().getSimpleName() + ")";
    }
    return "the provider's answer is not usable (" + err.getClass().getSimpleName() + ")";
  }
}
