package dev.gatehouse;

import dev.gatehouse.config.Settings;
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
import dev.gatehouse.factor.FactorAttempts;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.factor.TwoFactor;
import dev.gatehouse.factor.passkey.PasskeyCeremony;
import dev.gatehouse.factor.passkey.PasskeyFactor;
import dev.gatehouse.factor.passkey.PasskeyOptions;
import dev.gatehouse.factor.passkey.PasskeySettings;
import dev.gatehouse.factor.passkey.PasskeyStore;
import dev.gatehouse.factor.passkey.Passwordless;
import dev.gatehouse.factor.passkey.RelyingParty;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodeSettings;
import dev.gatehouse.factor.recovery.RecoveryCodeStore;
import dev.gatehouse.factor.totp.TotpFactor;
import dev.gatehouse.factor.totp.TotpSettings;
import dev.gatehouse.factor.totp.TotpStore;
import dev.gatehouse.http.Health;
import dev.gatehouse.http.HttpVerticle;
import dev.gatehouse.http.ManagementVerticle;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.session.PostgresSessionStore;
import dev.gatehouse.session.SessionRoutes;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.signin.DeviceCookieOnSignIn;
import dev.gatehouse.signin.PasskeySignIn;
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
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.templ.handlebars.HandlebarsTemplateEngine;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
  /** Seconds between SIGTERM (readiness 503) and closing the listener; see {@link Main}. */
  public static final String SHUTDOWN_GRACE_SECONDS = "GATEHOUSE_SHUTDOWN_GRACE_SECONDS";

  private final Vertx vertx;
  private final Settings settings;
  private final Metrics metrics;
  private final Database.Started database;
  private final PasswordHasher hasher;
  private final Health health;
  private final List<HttpVerticle> verticles;
  private final String deploymentId;
  private final ManagementVerticle management;
  private final String managementId;
  private final Housekeeping housekeeping;
  private final Duration shutdownGrace;

  private Gatehouse(Vertx vertx, Settings settings, Metrics metrics, Database.Started database, PasswordHasher hasher,
                    Health health, List<HttpVerticle> verticles, String deploymentId, ManagementVerticle management,
                    String managementId, Housekeeping housekeeping, Duration shutdownGrace) {
    this.vertx = vertx;
    this.settings = settings;
    this.metrics = metrics;
    this.database = database;
    this.hasher = hasher;
    this.health = health;
    this.verticles = verticles;
    this.deploymentId = deploymentId;
    this.management = management;
    this.managementId = managementId;
    this.housekeeping = housekeeping;
    this.shutdownGrace = shutdownGrace;
  }

  /**
   * Reads the configuration (defaults, file, environment, then {@code overrides}) and starts, with
   * meters of its own (Vert.x's HTTP and pool meters only come with {@link Metrics#vertx}).
   */
  public static Future<Gatehouse> start(Vertx vertx, JsonObject overrides, Clock clock) {
    return start(vertx, new Metrics(), overrides, clock, NO_EXTRAS);
  }

  /**
   * Starts with {@code metrics}, whose registry {@code vertx} was built to report into (see {@link Main}),
   * and route modules of the caller's ahead of Gatehouse's own: how the benchmark, from the test class
   * path, adds its measurement routes (a production build has no way to).
   */
  public static Future<Gatehouse> start(Vertx vertx, Metrics metrics, JsonObject overrides, Clock clock,
                                        Extras extras) {
    return loadSettings(vertx, overrides).compose(settings -> start(vertx, settings, clock, metrics, extras));
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

  public static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock, Metrics metrics) {
    return start(vertx, settings, clock, metrics, NO_EXTRAS);
  }

  private static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock, Metrics metrics, Extras extras) {
    long started = System.nanoTime();
    // The key, the hasher (a native library and one Argon2 hash, the dummy for unknown emails) and the
    // database (connect, authenticate, migrate) need nothing from each other: built side by side on
    // workers and the event loop, start-up takes the longest of them instead of their sum.
    Future<KeyRing> keys = vertx.executeBlocking(() -> ServerKeys.load(settings.secretKey(),
        settings.text(ServerKeys.PREVIOUS_KEYS_VARIABLE, null), settings.dataDir()), false);
    Future<PasswordHasher> hasher = vertx.executeBlocking(() -> new PasswordHasher(vertx, settings.argon2MemoryKib(),
            settings.argon2Iterations(), settings.argon2Parallelism(), settings.hashThreads(), settings.hashQueue(),
            metrics), false)
        .recover(err -> Future.failedFuture(new IllegalStateException("Argon2 is unusable here: " + err.getMessage(), err)));
    Future<Database.Started> database = Database.start(vertx, settings.databaseUrl(), settings.dataDir(),
        settings.databasePoolSize());
    return Future.join(keys, hasher, database)
        .compose(v -> assemble(vertx, settings, metrics, database.result(), hasher.result(), keys.result(), clock,
            extras))
        // Whatever did start is stopped again before the failure is reported; a bad key, a configuration
        // error, is the failure reported first.
        .recover(err -> Future.join(hasher.succeeded() ? close(vertx, hasher.result()) : Future.succeededFuture(),
                database.succeeded() ? database.result().close(vertx) : Future.succeededFuture())
            .transform(closed -> Future.failedFuture(keys.failed() ? keys.cause() : err)))
        .onSuccess(app -> {
          LOG.info("Gatehouse ready on http://{}:{} in {} ms ({} database); metrics and health on http://{}:{}",
              "0.0.0.0".equals(settings.httpHost()) ? "localhost" : settings.httpHost(), app.port(),
              (System.nanoTime() - started) / 1_000_000, app.database.embedded() == null ? "external" : "embedded",
              managementHost(settings), app.managementPort());
          // JVM meters load JMX: a second after ready, on a worker, not on the way to ready.
          vertx.setTimer(1000, id -> vertx.executeBlocking(() -> {
            metrics.bindJvmMetrics();
            return null;
          }, false));
        });
  }

  private static Future<Gatehouse> assemble(Vertx vertx, Settings settings, Metrics metrics,
                                            Database.Started database, PasswordHasher hasher, KeyRing keys,
                                            Clock clock, Extras extras) {
    Duration grace = Duration.ofSeconds(settings.integer(SHUTDOWN_GRACE_SECONDS, 5, 0, 3600));
    int managementPort = settings.integer(ManagementVerticle.PORT, ManagementVerticle.DEFAULT_PORT, 0, 65535);
    Pool pool = database.pool();
    Accounts accounts = new Accounts(pool);
    SecurityEvents events = new SecurityEvents(pool);
    Budgets budgets = Budgets.from(settings, pool, clock, metrics);
    Envelope envelope = new Envelope(keys);
    SudoGuard sudoGuard = new SudoGuard(budgets.sudo(), events);

    // The second factors: a package each, registered here in the order the sign-in page offers them.
    TotpStore totpStore = new TotpStore(envelope);
    TotpFactor totp = new TotpFactor(totpStore, clock);
    RecoveryCodeStore recoveryStore = new RecoveryCodeStore(envelope, new LookupHash(keys));
    RecoveryCodeFactor recovery = new RecoveryCodeFactor(recoveryStore);
    PasskeyStore passkeyStore = new PasskeyStore();
    PasskeyCeremony ceremony = new PasskeyCeremony(vertx, pool, passkeyStore,
        RelyingParty.of(settings.publicUrl(), settings.issuer()), new LookupHash(keys), clock);
    PasskeyFactor passkey = new PasskeyFactor(passkeyStore, ceremony, clock);
    Factors factors = new Factors(List.of(totp, passkey, recovery), budgets.totpLock());
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
        Duration.ofSeconds(settings.integer(IdentityProviders.DISCOVERY_TTL_SECONDS, 300, 0, 86_400)),
        allowHttpIssuers, Boolean.parseBoolean(settings.text(IdentityProviders.ALLOW_PRIVATE_ISSUERS, "false")));
    String publicUrl = settings.publicUrl().toString();
    List<String> proxies = settings.trustedProxies();
    // Sessions live in PostgreSQL: any node serves any session, a restart signs nobody out.
    PostgresSessionStore sessions = new PostgresSessionStore(vertx, pool, clock);

    List<RouteModule> modules = List.of(
        new SignInFlow(pool, accounts, hasher, factors, attempts, sso, events,
            new PasswordGuard(budgets.passwordAccount(), budgets.passwordAddress(), budgets.passwordDevice(),
                deviceCookies, events), signedIn, clock, metrics),
        new PasskeySignIn(new Passwordless(pool, passkeyStore, ceremony, budgets.passkeyAccount(),
            budgets.passkeyAddress(), events, clock), sso, events, signedIn, clock, metrics),
        new Reauthentication(pool, accounts, hasher, sudoGuard, factors, attempts, sso, events, clock),
        new PasskeyOptions(pool, ceremony, clock),
        new AccountRoutes(pool, accounts, hasher, PasswordPolicy.load(), events, profile, sudoGuard, clock),
        twoFactor,
        new TotpSettings(pool, accounts, totpStore, totp, twoFactor, events, settings.issuer(), clock),
        new RecoveryCodeSettings(pool, accounts, recoveryStore, factors, events, HandlebarsTemplateEngine.create(vertx),
            settings.issuer(), clock),
        new PasskeySettings(pool, accounts, passkeyStore, ceremony, twoFactor, events, clock),
        new OrganisationRoutes(organisations, new ProviderChanges(pool, organisations, events), identityProviders,
            new DomainVerifier(vertx, settings.text(DomainVerifier.DNS_SERVER, null)), envelope, events, publicUrl,
            allowHttpIssuers, proxies, clock),
        new SsoSignIn(organisations, ssoIdentities, ssoLinks, identityProviders, accounts, events, publicUrl, proxies,
            clock, metrics),
        ssoLinks,
        new SessionRoutes(sessions, events, clock, metrics));

    CsrfTokens csrfTokens = new CsrfTokens(keys);
    HttpVerticle.Sessions httpSessions = new HttpVerticle.Sessions(sessions, PostgresSessionStore.IDLE_TIMEOUT.toMillis(),
        (cookie, handler) -> SessionUser.gate(cookie, handler, metrics), SessionUser::csrfBinding, SessionUser::saveChanges);
    List<RouteModule> routes = new ArrayList<>(extras.apply(new Internals(pool, sessions, hasher)));
    routes.addAll(modules);
    HttpVerticle.HttpSettings httpSettings = new HttpVerticle.HttpSettings(settings.httpHost(), settings.httpPort(),
        settings.https(), origin(settings), proxies, settings.bodyLimitBytes(), settings.text("GATEHOUSE_WEBROOT", "webroot"));
    Health health = new Health(pool);
    List<HttpVerticle> verticles = new CopyOnWriteArrayList<>();
    Future<String> http = vertx.deployVerticle(() -> {
          HttpVerticle verticle = new HttpVerticle(httpSettings, httpSessions, csrfTokens, routes, health, metrics);
          verticles.add(verticle);
          return verticle;
        }, new DeploymentOptions().setInstances(settings.httpInstances()))
        .recover(err -> Future.failedFuture(new IllegalStateException("the HTTP server did not start on port "
            + settings.httpPort() + ": " + err.getMessage(), err)));
    ManagementVerticle management = new ManagementVerticle(managementHost(settings), managementPort, health,
        metrics.registry());
    Future<String> managed = vertx.deployVerticle(management)
        .recover(err -> Future.failedFuture(new IllegalStateException("the management listener ("
            + ManagementVerticle.PORT + ") did not start on port " + managementPort + ": " + err.getMessage(), err)));
    return Future.join(http, managed)
        .recover(err -> Future.join(undeploy(vertx, http), undeploy(vertx, managed))
            .transform(v -> Future.failedFuture(http.failed() ? http.cause() : managed.cause())))
        .map(v -> new Gatehouse(vertx, settings, metrics, database, hasher, health, verticles, http.result(),
            management, managed.result(), new Housekeeping(vertx, pool, passkeyStore, settings, clock, metrics).start(), grace));
  }

  /** Stops the hashing threads, off the event loop: it waits for them. */
  private static Future<Void> close(Vertx vertx, PasswordHasher hasher) {
    return vertx.executeBlocking(() -> {
      hasher.close();
      return null;
    }, false);
  }

  private static Future<Void> undeploy(Vertx vertx, Future<String> deployment) {
    return deployment.succeeded() ? vertx.undeploy(deployment.result()) : Future.succeededFuture();
  }

  private static String managementHost(Settings settings) {
    return settings.text(ManagementVerticle.HOST, ManagementVerticle.DEFAULT_HOST).trim();
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
    return database.pool();
  }

  public Metrics metrics() {
    return metrics;
  }

  /** The management listener's port (metrics and health). */
  public int managementPort() {
    return management.actualPort();
  }

  /** Runs one round of housekeeping now (pruning old security events and expired budgets). */
  public Future<Void> housekeeping() {
    return housekeeping.run();
  }

  /** From now on /health/ready answers 503 (both listeners); everything else keeps serving. */
  public void drain() {
    health.drain();
  }

  /** How long to keep serving after {@link #drain} so that load balancers take this node out. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /**
   * Readiness 503 (if not yet), stop accepting, finish the requests in flight, then close the
   * management listener, the hashing pool, the database pool and the embedded database.
   */
  public Future<Void> close() {
    health.drain();
    housekeeping.stop();
    return vertx.undeploy(deploymentId)
        .eventually(() -> vertx.undeploy(managementId))
        .eventually(() -> close(vertx, hasher))
        .eventually(() -> database.close(vertx))
        .eventually(() -> {
          metrics.close();
          return Future.succeededFuture();
        })
        .mapEmpty();
  }
}
