package dev.gatehouse;

import dev.gatehouse.account.AccountRoutes;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.account.PasswordPolicy;
import dev.gatehouse.account.ProfileSection;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.config.Settings;
import dev.gatehouse.crypto.CsrfTokens;
import dev.gatehouse.crypto.DeviceCookieKey;
import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.KeyRing;
import dev.gatehouse.crypto.LookupHash;
import dev.gatehouse.crypto.ServerKeys;
import dev.gatehouse.db.Database;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.db.Migrations;
import dev.gatehouse.factor.FactorAttempts;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.factor.TwoFactor;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodeSettings;
import dev.gatehouse.factor.recovery.RecoveryCodeStore;
import dev.gatehouse.session.PostgresSessionStore;
import dev.gatehouse.session.SessionRoutes;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.factor.totp.TotpFactor;
import dev.gatehouse.factor.totp.TotpSettings;
import dev.gatehouse.factor.totp.TotpStore;
import dev.gatehouse.http.HttpVerticle;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.signin.DeviceCookieOnSignIn;
import dev.gatehouse.signin.Reauthentication;
import dev.gatehouse.signin.SignInFlow;
import dev.gatehouse.signin.SignInHook;
import dev.gatehouse.signin.SsoPolicy;
import dev.gatehouse.sso.DomainVerifier;
import dev.gatehouse.sso.IdentityProviders;
import dev.gatehouse.sso.OrganisationProfile;
import dev.gatehouse.sso.OrganisationRoutes;
import dev.gatehouse.sso.OrganisationSsoPolicy;
import dev.gatehouse.sso.Organisations;
import dev.gatehouse.sso.ProviderChanges;
import dev.gatehouse.sso.SsoIdentities;
import dev.gatehouse.sso.SsoLinks;
import dev.gatehouse.sso.SsoSignIn;
import dev.gatehouse.throttle.Budgets;
import dev.gatehouse.throttle.DeviceCookies;
import dev.gatehouse.throttle.PasswordGuard;
import dev.gatehouse.throttle.SudoGuard;
import io.vertx.ext.web.templ.handlebars.HandlebarsTemplateEngine;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The running application: configuration, database, services and the HTTP verticles. Built by
 * {@link #start}; {@link #close} undoes it in reverse (stop accepting, finish requests in flight,
 * close the pool, stop the embedded database).
 */
public final class Gatehouse {

  private static final Logger LOG = LoggerFactory.getLogger(Gatehouse.class);

  private final Vertx vertx;
  private final Settings settings;
  private final EmbeddedDatabase embedded;
  private final Pool pool;
  private final PasswordHasher hasher;
  private final List<HttpVerticle> verticles;
  private final String deploymentId;
  private final Housekeeping housekeeping;

  private Gatehouse(Vertx vertx, Settings settings, EmbeddedDatabase embedded, Pool pool, PasswordHasher hasher,
                    List<HttpVerticle> verticles, String deploymentId, Housekeeping housekeeping) {
    this.vertx = vertx;
    this.settings = settings;
    this.embedded = embedded;
    this.pool = pool;
    this.hasher = hasher;
    this.verticles = verticles;
    this.deploymentId = deploymentId;
    this.housekeeping = housekeeping;
  }

  /** Reads the configuration (defaults, file, environment, then {@code overrides}) and starts. */
  public static Future<Gatehouse> start(Vertx vertx, JsonObject overrides, Clock clock) {
    return start(vertx, overrides, clock, NO_EXTRAS);
  }

  /**
   * Starts with route modules of the caller's ahead of Gatehouse's own: how the benchmark, from
   * the test class path, adds its measurement routes (a production build has no way to).
   */
  public static Future<Gatehouse> start(Vertx vertx, JsonObject overrides, Clock clock, Extras extras) {
    return loadSettings(vertx, overrides).compose(settings -> start(vertx, settings, clock, extras));
  }

  /** What extra route modules are built from. */
  public record Internals(Pool pool, PostgresSessionStore sessions, PasswordHasher hasher) {
  }

  /** Route modules added by whoever starts the server (none in production). */
  public interface Extras extends java.util.function.Function<Internals, List<RouteModule>> {
  }

  private static final Extras NO_EXTRAS = internals -> List.of();

  public static Future<Settings> loadSettings(Vertx vertx, JsonObject overrides) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("json").setConfig(Settings.defaults()));
    String file = System.getenv(Settings.CONFIG_FILE);
    if (file != null && !file.isBlank()) {
      if (!Files.isReadable(Path.of(file))) {
        return Future.failedFuture(new IllegalArgumentException(Settings.CONFIG_FILE + " names a file that cannot be read"));
      }
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json").setConfig(new JsonObject().put("path", file)));
    } else if (Files.isReadable(Path.of("gatehouse.json"))) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json").setOptional(true)
          .setConfig(new JsonObject().put("path", "gatehouse.json")));
    }
    // Only GATEHOUSE_* variables, kept as strings; Settings parses them.
    options.addStore(new ConfigStoreOptions().setType("env")
        .setConfig(new JsonObject().put("raw-data", true).put("keys", new JsonArray(envKeys()))));
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(overrides));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .recover(err -> Future.failedFuture(new IllegalArgumentException("the configuration could not be read: "
            + err.getMessage())))
        .compose(json -> {
          retriever.close();
          try {
            return Future.succeededFuture(Settings.from(json));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
          }
        });
  }

  private static List<String> envKeys() {
    List<String> keys = new ArrayList<>(Settings.KEYS);
    System.getenv().keySet().stream().filter(k -> k.startsWith("GATEHOUSE_") && !keys.contains(k)).forEach(keys::add);
    return keys;
  }

  public static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock) {
    return start(vertx, settings, clock, NO_EXTRAS);
  }

  private static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock, Extras extras) {
    long started = System.nanoTime();
    // The key for secrets at rest first: a bad key is a configuration error, reported before any database starts.
    return vertx.executeBlocking(() -> ServerKeys.load(settings.secretKey(),
            settings.text(ServerKeys.PREVIOUS_KEYS_VARIABLE, null), settings.dataDir()), false)
        .compose(keys -> start(vertx, settings, clock, extras, keys, started));
  }

  private static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock, Extras extras, KeyRing keys,
                                         long started) {
    Future<EmbeddedDatabase> embedded = settings.databaseUrl() != null ? Future.succeededFuture(null)
        : vertx.executeBlocking(() -> EmbeddedDatabase.start(settings.dataDir().resolve("postgres"), 0), false);
    return embedded.compose(db -> {
      String url = db == null ? settings.databaseUrl() : db.url("postgres");
      Pool pool;
      try {
        pool = Database.connect(vertx, url, settings.databasePoolSize());
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
      return Migrations.run(pool)
          .compose(v -> assemble(vertx, settings, db, pool, keys, clock, extras))
          .onSuccess(app -> LOG.info("Gatehouse ready on http://{}:{} in {} ms ({} database)",
              "0.0.0.0".equals(settings.httpHost()) ? "localhost" : settings.httpHost(), app.port(),
              (System.nanoTime() - started) / 1_000_000, db == null ? "external" : "embedded"))
          .onFailure(err -> {
            pool.close();
            if (db != null) {
              db.close();
            }
          });
    });
  }

  private static Future<Gatehouse> assemble(Vertx vertx, Settings settings, EmbeddedDatabase db, Pool pool, KeyRing keys,
                                            Clock clock, Extras extras) {
    // Building the hasher computes one Argon2 hash (the dummy for unknown emails): not on an event loop.
    return vertx.executeBlocking(() -> new PasswordHasher(vertx, settings.argon2MemoryKib(),
            settings.argon2Iterations(), settings.argon2Parallelism(), settings.hashThreads(), settings.hashQueue()), false)
        .recover(err -> Future.failedFuture(new IllegalStateException("Argon2 is unusable here: " + err.getMessage(), err)))
        .compose(hasher -> assemble(vertx, settings, db, pool, hasher, keys, clock, extras));
  }

  private static Future<Gatehouse> assemble(Vertx vertx, Settings settings, EmbeddedDatabase db, Pool pool,
                                            PasswordHasher hasher, KeyRing keys, Clock clock, Extras extras) {
    Accounts accounts = new Accounts(pool);
    SecurityEvents events = new SecurityEvents(pool);
    Budgets budgets = Budgets.from(settings, pool, clock);
    Envelope envelope = new Envelope(keys);
    SudoGuard sudoGuard = new SudoGuard(budgets.sudo(), events);

    // The second factors: a package each, registered here in the order the sign-in page offers them.
    TotpStore totpStore = new TotpStore(envelope);
    TotpFactor totp = new TotpFactor(totpStore, clock);
    RecoveryCodeStore recoveryStore = new RecoveryCodeStore(envelope, new LookupHash(keys));
    RecoveryCodeFactor recovery = new RecoveryCodeFactor(recoveryStore);
    Factors factors = new Factors(List.of(totp, recovery), budgets.totpLock());
    FactorAttempts attempts = new FactorAttempts(pool, List.of(budgets.secondStep(), budgets.recoveryCode()),
        budgets.totpLock());
    TwoFactor twoFactor = new TwoFactor(pool, factors, recovery, events, clock);

    Organisations organisations = new Organisations(pool);
    SsoIdentities ssoIdentities = new SsoIdentities(pool, accounts, organisations, events);
    SsoLinks ssoLinks = new SsoLinks(ssoIdentities, events, clock);
    SsoPolicy sso = new OrganisationSsoPolicy(organisations, ssoIdentities, ssoLinks);
    DeviceCookies deviceCookies = new DeviceCookies(new DeviceCookieKey(keys), settings.https());
    // What a completed sign-in does in the browser's session, in this order.
    SignInHook signedIn = SignInHook.all(List.of(ssoLinks, new DeviceCookieOnSignIn(deviceCookies, accounts)));
    List<ProfileSection> profile = List.of(twoFactor, new OrganisationProfile(organisations));
    boolean allowHttpIssuers = Boolean.parseBoolean(settings.text(OrganisationRoutes.ALLOW_HTTP_ISSUERS, "false"));
    IdentityProviders identityProviders = new IdentityProviders(vertx, envelope,
        java.time.Duration.ofSeconds(settings.integer(IdentityProviders.DISCOVERY_TTL_SECONDS, 300, 0, 86_400)),
        allowHttpIssuers, Boolean.parseBoolean(settings.text(IdentityProviders.ALLOW_PRIVATE_ISSUERS, "false")));
    String publicUrl = settings.publicUrl().toString();
    List<String> proxies = settings.trustedProxies();
    // Sessions live in PostgreSQL: any node serves any session, a restart signs nobody out.
    PostgresSessionStore sessions = new PostgresSessionStore(vertx, pool, clock);

    List<RouteModule> modules = List.of(
        new SignInFlow(pool, accounts, hasher, factors, attempts, sso, events,
            new PasswordGuard(budgets.passwordAccount(), budgets.passwordAddress(), budgets.passwordDevice(),
                deviceCookies, events), signedIn, clock),
        new Reauthentication(pool, accounts, hasher, sudoGuard, factors, attempts, sso, events, clock),
        new AccountRoutes(pool, accounts, hasher, PasswordPolicy.load(), events, profile, sudoGuard, clock),
        twoFactor,
        new TotpSettings(pool, accounts, totpStore, totp, twoFactor, events, settings.issuer(), clock),
        new RecoveryCodeSettings(pool, accounts, recoveryStore, factors, events, HandlebarsTemplateEngine.create(vertx),
            settings.issuer(), clock),
        new OrganisationRoutes(organisations, new ProviderChanges(pool, organisations, events), identityProviders,
            new DomainVerifier(vertx, settings.text(DomainVerifier.DNS_SERVER, null)), envelope, events, publicUrl,
            allowHttpIssuers, proxies, clock),
        new SsoSignIn(organisations, ssoIdentities, ssoLinks, identityProviders, accounts, events, publicUrl, proxies,
            clock),
        ssoLinks,
        new SessionRoutes(sessions, events, clock));

    CsrfTokens csrfTokens = new CsrfTokens(keys);
    HttpVerticle.Sessions httpSessions = new HttpVerticle.Sessions(sessions, PostgresSessionStore.IDLE_TIMEOUT.toMillis(),
        SessionUser::gate, SessionUser::csrfBinding, SessionUser::saveChanges);
    List<RouteModule> routes = new ArrayList<>(extras.apply(new Internals(pool, sessions, hasher)));
    routes.addAll(modules);
    HttpVerticle.HttpSettings http = new HttpVerticle.HttpSettings(settings.httpHost(), settings.httpPort(),
        settings.https(), origin(settings), proxies, settings.bodyLimitBytes(), settings.text("GATEHOUSE_WEBROOT", "webroot"));
    List<HttpVerticle> verticles = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          HttpVerticle verticle = new HttpVerticle(http, httpSessions, csrfTokens, pool, routes);
          verticles.add(verticle);
          return verticle;
        }, new DeploymentOptions().setInstances(settings.httpInstances()))
        .recover(err -> {
          hasher.close();
          return Future.failedFuture(new IllegalStateException("the HTTP server did not start on port "
              + settings.httpPort() + ": " + err.getMessage(), err));
        })
        .map(id -> new Gatehouse(vertx, settings, db, pool, hasher, verticles, id,
            new Housekeeping(vertx, pool, settings, clock).start()));
  }

  private static String origin(Settings settings) {
    var uri = settings.publicUrl();
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
  }

  public int port() {
    return verticles.isEmpty() ? -1 : verticles.get(0).actualPort();
  }

  public Settings settings() {
    return settings;
  }

  public Pool pool() {
    return pool;
  }

  /** Runs one round of housekeeping now (pruning old security events and expired budgets). */
  public Future<Void> housekeeping() {
    return housekeeping.run();
  }

  /** Stops accepting, finishes requests in flight, closes the pool and stops the embedded database. */
  public Future<Void> close() {
    housekeeping.stop();
    return vertx.undeploy(deploymentId)
        .eventually(() -> {
          hasher.close();
          return pool.close();
        })
        .eventually(() -> {
          if (embedded == null) {
            return Future.succeededFuture();
          }
          return vertx.executeBlocking(() -> {
            embedded.close();
            return null;
          }, false);
        })
        .mapEmpty();
  }
}
