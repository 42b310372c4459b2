package dev.gatehouse.sso;

import dev.gatehouse.crypto.Envelope;
import io.vertx.core.Closeable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.oauth2.OAuth2Auth;
import io.vertx.ext.auth.oauth2.OAuth2Options;
import io.vertx.ext.auth.oauth2.providers.OpenIDConnectAuth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Each organisation's OpenID Connect provider, found by discovery from its issuer URL (the
 * provider's endpoints and signing keys), cached per organisation for a short time. Discovery is
 * asynchronous, so no event loop ever waits for a provider; requests arriving while it runs share
 * it. A failed discovery is remembered for a few seconds only.
 */
public final class IdentityProviders {

  private static final Logger LOG = LoggerFactory.getLogger(IdentityProviders.class);
  /** How long a discovered provider is reused, in seconds (default 300). */
  public static final String DISCOVERY_TTL_SECONDS = "GATEHOUSE_SSO_DISCOVERY_TTL_SECONDS";
  /** Longest wait for a provider's discovery document, keys or token endpoint. */
  static final Duration PROVIDER_TIMEOUT = Duration.ofSeconds(10);
  /** How long a failed discovery is answered from the cache before the provider is asked again. */
  private static final Duration FAILURE_TTL = Duration.ofSeconds(10);
  /** A replaced provider stays usable this long, for sign-ins still exchanging their code with it. */
  private static final long RETIRE_AFTER_MS = 60_000;

  /** A discovered provider: the client, and the issuer its ID tokens must name. */
  record Provider(OAuth2Auth auth, String issuer, String clientId) {
  }

  private record Entry(String fingerprint, Future<Provider> provider, long expiresAtNanos) {
    boolean usableFor(String wanted, long now) {
      return fingerprint.equals(wanted) && now - expiresAtNanos < 0;
    }
  }

  private final Vertx vertx;
  private final Envelope envelope;
  private final long ttlNanos;
  private final Map<UUID, Entry> cache = new ConcurrentHashMap<>();

  public IdentityProviders(Vertx vertx, Envelope envelope, Duration ttl) {
    this.vertx = vertx;
    this.envelope = envelope;
    this.ttlNanos = ttl.toNanos();
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
    retire(replaced.get());
    discover(org).onComplete(promise);
    // A failure is remembered briefly, so that a broken provider is not asked again on every request.
    promise.future().onFailure(err -> cache.computeIfPresent(org.id(), (id, current) -> current != fresh ? current
        : new Entry(fingerprint, fresh.provider(), System.nanoTime() + FAILURE_TTL.toNanos())));
    return promise.future();
  }

  /** Forgets the organisation's provider (its configuration changed, or its keys did). */
  void evict(UUID organisation) {
    retire(cache.remove(organisation));
  }

  /**
   * Runs discovery for a configuration without caching it: how owners find out, before switching
   * SSO on, that the issuer URL is wrong or the provider unreachable.
   */
  Future<Provider> probe(Organisation org) {
    return discover(org).onSuccess(provider -> close(provider.auth()));
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
    OAuth2Options options = new OAuth2Options()
        .setSite(issuer)
        .setClientId(org.clientId())
        .setClientSecret(secret)
        .setUserAgent("Gatehouse")
        .setJWTOptions(new JWTOptions().setLeeway((int) IdTokenCheck.LEEWAY_SECONDS))
        .setHttpClientOptions(new HttpClientOptions()
            .setConnectTimeout((int) PROVIDER_TIMEOUT.toMillis())
            .setIdleTimeout((int) PROVIDER_TIMEOUT.toSeconds())
            .setIdleTimeoutUnit(TimeUnit.SECONDS));
    return OpenIDConnectAuth.discover(vertx, options)
        .timeout(PROVIDER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new SsoFailure(SsoFailure.UNAVAILABLE, "discovery failed: " + describe(err))))
        .compose(auth -> {
          String expectedIssuer = options.getJWTOptions().getIssuer();
          if (expectedIssuer == null || options.getJwkPath() == null) {
            close(auth);
            return Future.failedFuture(new SsoFailure(SsoFailure.UNAVAILABLE,
                "discovery failed: " + (expectedIssuer == null ? "the document names no issuer" : "the document names no jwks_uri")));
          }
          LOG.info("OpenID Connect provider of organisation {} discovered", org.slug());
          return Future.succeededFuture(new Provider(auth, expectedIssuer, org.clientId()));
        });
  }

  private void retire(Entry entry) {
    if (entry != null) {
      entry.provider().onSuccess(provider -> vertx.setTimer(RETIRE_AFTER_MS, t -> close(provider.auth())));
    }
  }

  /** Stops the provider's key-refresh timer, if it has one. */
  private static void close(OAuth2Auth auth) {
    if (auth instanceof Closeable closeable) {
      closeable.close(Promise.promise());
    }
  }

  /** True when a failure means the provider could not be reached (rather than refused something). */
  static boolean unreachable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof TimeoutException
          || t instanceof io.vertx.core.http.HttpClosedException) {
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
   * A short description of a provider failure that is safe to log and to show an owner: what went
   * wrong, never a response body (an issuer URL can point anywhere, and bodies can hold anything).
   */
  static String describe(Throwable err) {
    if (err instanceof SsoFailure f) {
      return f.getMessage();
    }
    if (unreachable(err)) {
      return "the provider could not be reached in time";
    }
    String message = String.valueOf(err.getMessage());
    if (message.startsWith("Bad Response [")) {
      int end = message.indexOf(']');
      return "the provider answered HTTP " + (end > 14 ? message.substring(14, end) : "?");
    }
    if (message.startsWith("issuer validation failed")) {
      return "the discovery document names a different issuer than the configured URL";
    }
    if (message.startsWith("Cannot handle")) {
      return "the discovery document is not JSON";
    }
    return "the provider's answer is not a usable OpenID Connect discovery document";
  }
}
