package dev.gatehouse;

import dev.gatehouse.config.Settings;
import dev.gatehouse.account.AccountRoutes;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.account.PasswordPolicy;
import dev.gatehouse.account.ProfileSection;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.db.Database;
import dev.gatehouse.db.EmbeddedDatabase;
import dev.gatehouse.db.Migrations;
import dev.gatehouse.http.HttpVerticle;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.load.BenchRoutes;
import dev.gatehouse.crypto.CsrfTokens;
import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.KeyRing;
import dev.gatehouse.crypto.LookupHash;
import dev.gatehouse.crypto.ServerKeys;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodeSettings;
import dev.gatehouse.factor.recovery.RecoveryCodes;
import dev.gatehouse.session.PostgresSessionStore;
import dev.gatehouse.session.SessionRoutes;
import dev.gatehouse.signin.SecondFactor;
import dev.gatehouse.signin.SecondFactors;
import dev.gatehouse.factor.totp.TotpCredentials;
import dev.gatehouse.factor.totp.TotpFactor;
import dev.gatehouse.factor.totp.TwoFactorSettings;
import dev.gatehouse.factor.totp.TwoFactorStatus;
import io.vertx.ext.web.templ.handlebars.HandlebarsTemplateEngine;
import dev.gatehouse.signin.SignInFlow;
import dev.gatehouse.signin.SsoPolicy;
import dev.gatehouse.sso.DomainVerifier;
import dev.gatehouse.sso.IdentityProviders;
import dev.gatehouse.sso.OrganisationProfile;
import dev.gatehouse.sso.OrganisationRoutes;
import dev.gatehouse.sso.OrganisationSsoPolicy;
import dev.gatehouse.sso.Organisations;
import dev.gatehouse.sso.SsoSignIn;
import dev.gatehouse.throttle.Budgets;
import dev.gatehouse.throttle.CodeBudgets;
import dev.gatehouse.throttle.DisableGuard;
import dev.gatehouse.throttle.GuardedSecondFactor;
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
    return loadSettings(vertx, overrides).compose(settings -> start(vertx, settings, clock));
  }

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
    long started = System.nanoTime();
    // The key for secrets at rest first: a bad key is a configuration error, reported before any database starts.
    return vertx.executeBlocking(() -> ServerKeys.load(settings.secretKey(),
            settings.text(ServerKeys.PREVIOUS_KEYS_VARIABLE, null), settings.dataDir()), false)
        .compose(keys -> start(vertx, settings, clock, keys, started));
  }

  private static Future<Gatehouse> start(Vertx vertx, Settings settings, Clock clock, KeyRing keys, long started) {
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
          .compose(v -> assemble(vertx, settings, db, pool, keys, clock))
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
                                            Clock clock) {
    // Building the hasher computes one Argon2 hash (the dummy for unknown emails): not on an event loop.
    return vertx.executeBlocking(() -> new PasswordHasher(vertx, settings.argon2MemoryKib(),
            settings.argon2Iterations(), settings.argon2Parallelism(), settings.hashThreads(), settings.hashQueue()), false)
        .recover(err -> Future.failedFuture(new IllegalStateException("Argon2 is unusable here: " + err.getMessage(), err)))
        .compose(hasher -> assemble(vertx, settings, db, pool, hasher, keys, clock));
  }

  private static Future<Gatehouse> assemble(Vertx vertx, Settings settings, EmbeddedDatabase db, Pool pool,
                                            PasswordHasher hasher, KeyRing keys, Clock clock) {
    Accounts accounts = new Accounts(pool);
    SecurityEvents events = new SecurityEvents(pool);
    List<String> proxies = settings.trustedProxies();
    Budgets budgets = Budgets.from(settings, pool, clock);
    CodeBudgets codeBudgets = new CodeBudgets(budgets, events);

    // The factor and SSO packages plug in here.
    Envelope envelope = new Envelope(keys);
    TotpCredentials totp = new TotpCredentials(envelope, clock);
    RecoveryCodes recoveryCodes = new RecoveryCodes(envelope, new LookupHash(keys));
    SecondFactor secondFactor = new SecondFactors(List.of(new TotpFactor(pool, totp),
        new RecoveryCodeFactor(pool, recoveryCodes, events)));
    Organisations organisations = new Organisations(pool);
    SsoPolicy sso = new OrganisationSsoPolicy(organisations);
    List<ProfileSection> profile = new ArrayList<>();
    profile.add(new TwoFactorStatus(pool));
    profile.add(new OrganisationProfile(organisations));
    IdentityProviders identityProviders = new IdentityProviders(vertx, envelope,
        java.time.Duration.ofSeconds(settings.integer(IdentityProviders.DISCOVERY_TTL_SECONDS, 300, 0, 86_400)));
    String publicUrl = settings.publicUrl().toString();
    // Sessions live in PostgreSQL: any node serves any session, a restart signs nobody out.
    PostgresSessionStore sessions = new PostgresSessionStore(vertx, pool, clock);

    List<RouteModule> modules = List.of(
        new SignInFlow(accounts, hasher, new GuardedSecondFactor(secondFactor, codeBudgets, events), sso, events,
            new PasswordGuard(budgets.passwordAccount(), budgets.passwordAddress(), events), proxies, clock),
        new AccountRoutes(pool, accounts, hasher, PasswordPolicy.load(), events, profile,
            new SudoGuard(budgets.sudo(), events), proxies, clock),
        new DisableGuard(codeBudgets, secondFactor, proxies, clock),
        new TwoFactorSettings(pool, accounts, totp, recoveryCodes, events, settings.issuer(), proxies, clock),
        new RecoveryCodeSettings(pool, accounts, recoveryCodes, events, HandlebarsTemplateEngine.create(vertx),
            settings.issuer(), proxies, clock),
        new OrganisationRoutes(organisations, identityProviders,
            new DomainVerifier(vertx, settings.text(DomainVerifier.DNS_SERVER, null)), envelope, events, publicUrl,
            Boolean.parseBoolean(settings.text(OrganisationRoutes.ALLOW_HTTP_ISSUERS, "false")), proxies, clock),
        new SsoSignIn(organisations, identityProviders, events, publicUrl, proxies, clock),
        new SessionRoutes(sessions, events, proxies, clock));

    CsrfTokens csrfTokens = new CsrfTokens(keys);
    List<RouteModule> routes = BenchRoutes.enabled(settings) ? BenchRoutes.with(modules, pool, sessions, hasher) : modules;
    HttpVerticle.HttpSettings http = new HttpVerticle.HttpSettings(settings.httpHost(), settings.httpPort(),
        settings.https(), origin(settings), proxies, settings.bodyLimitBytes(), settings.text("GATEHOUSE_WEBROOT", "webroot"));
    List<HttpVerticle> verticles = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          HttpVerticle verticle = new HttpVerticle(http, sessions, csrfTokens, pool, routes);
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
