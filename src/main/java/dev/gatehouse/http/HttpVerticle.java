package dev.gatehouse.http;

import dev.gatehouse.crypto.CsrfTokens;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.sstore.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One HTTP server instance on one event loop; deployed once per core. Routing, sessions, CSRF and
 * headers are assembled here in vertx-web's order; each capability mounts its own routes.
 */
public final class HttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  /** Files the browser fetches without a session: the app's scripts, styles and images. */
  private static final String ASSET = "^/(?!api/|account/|sso/|health/)[^?]*\\.(js|mjs|css|png|svg|ico|webmanifest|woff2?)$";

  private final HttpSettings settings;
  private final Sessions sessions;
  private final CsrfTokens csrfTokens;
  private final List<RouteModule> modules;
  private final Health health;
  private final Metrics metrics;
  private HttpServer server;

  public HttpVerticle(HttpSettings settings, Sessions sessions, CsrfTokens csrfTokens, List<RouteModule> modules,
                      Health health, Metrics metrics) {
    this.settings = settings;
    this.sessions = sessions;
    this.csrfTokens = csrfTokens;
    this.modules = modules;
    this.health = health;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(ClientInfo.resolver(settings.trustedProxies()));
    router.route().handler(new AccessLog());
    router.route().handler(new SecurityHeaders(settings.https()));
    // Also on the public port: load balancers and the tests probe it there; metrics are never here.
    health.mount(router);
    router.routeWithRegex(HttpMethod.GET, ASSET).handler(StaticHandler.create(settings.webroot())
        .setCachingEnabled(true).setMaxAgeSeconds(300).setIncludeHidden(false).setDirectoryListing(false))
        // A missing script or stylesheet is a 404, not the app's page: a broken path must show.
        .handler(ctx -> ctx.fail(Problem.notFound()));
    String sessionCookie = settings.https() ? "__Host-gatehouse" : "gatehouse";
    // Lazy: a session nobody looked at is neither stored nor given a cookie (docs/security.md 30).
    SessionHandler sessionHandler = SessionHandler.create(sessions.store())
        .setSessionCookieName(sessionCookie)
        .setCookieHttpOnlyFlag(true)
        .setCookieSecureFlag(settings.https())
        .setCookieSameSite(CookieSameSite.LAX)
        .setSessionTimeout(sessions.idleTimeoutMillis())
        .setLazySession(true)
        .setNagHttps(false);
    router.route().handler(sessionHandler);
    router.route().handler(sessions.gate().apply(sessionCookie, sessionHandler));
    router.route().handler(BodyHandler.create(false).setBodyLimit(settings.bodyLimitBytes()));
    router.route().handler(new Csrf(settings.https(), settings.publicOrigin(), csrfTokens, sessions.csrfBinding()));
    for (RouteModule module : modules) {
      module.mount(router);
    }
    router.route("/api/*").handler(ctx -> ctx.fail(Problem.notFound()));
    Path index = Path.of(settings.webroot(), "index.html");
    router.get().handler(ctx -> {
      // Deep links (/signin, /account, …) are the single-page app's; it routes on the client.
      if (Files.isRegularFile(index)) {
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
            .putHeader("Cache-Control", "no-cache").sendFile(index.toString());
      } else {
        ctx.fail(Problem.notFound());
      }
    });
    router.route().handler(ctx -> ctx.fail(Problem.notFound()));
    router.route().failureHandler(new ProblemHandler(sessions.saveChanges(), metrics));

    HttpServerOptions options = new HttpServerOptions()
        .setHost(settings.host())
        .setPort(settings.port())
        .setCompressionSupported(true)
        .setIdleTimeout(120)
        .setMaxHeaderSize(16 * 1024);
    return vertx.createHttpServer(options).requestHandler(router).listen().onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> stop() {
    // Stop accepting, let requests in flight finish (up to the timeout), then close.
    return server == null ? Future.succeededFuture() : server.shutdown(10, TimeUnit.SECONDS);
  }

  /**
   * What the HTTP layer needs of the session package, handed in by the assembly so that http (below
   * every feature) imports none of it: the store, the idle timeout, the handler mounted after
   * vertx-web's SessionHandler, what the CSRF token is bound to, and how an error answer saves
   * what must stick.
   */
  public record Sessions(SessionStore store, long idleTimeoutMillis,
                         BiFunction<String, SessionHandler, Handler<RoutingContext>> gate,
                         Function<RoutingContext, String> csrfBinding,
                         Function<RoutingContext, Future<Void>> saveChanges) {
  }

  /** What the HTTP layer needs from the configuration. */
  public record HttpSettings(String host, int port, boolean https, String publicOrigin, List<String> trustedProxies,
                             int bodyLimitBytes, String webroot) {
  }
}
