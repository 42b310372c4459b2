package dev.gatehouse.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * The management listener: Prometheus metrics and the health checks, on an address of its own
 * (loopback unless configured otherwise) so that metrics never reach the public port.
 */
public final class ManagementVerticle extends VerticleBase {

  public static final String HOST = "GATEHOUSE_MANAGEMENT_HOST";
  public static final String PORT = "GATEHOUSE_MANAGEMENT_PORT";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9000;

  private final String host;
  private final int port;
  private final Health health;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;

  public ManagementVerticle(String host, int port, Health health, PrometheusMeterRegistry registry) {
    this.host = host;
    this.port = port;
    this.health = health;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    health.mount(router);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setIdleTimeout(120))
        .requestHandler(router).listen().onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
