package dev.gatehouse.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * One line per request: method, path without the query string (it can carry an OAuth code),
 * status, duration, client address. Never a body, a cookie or a header value.
 */
public final class AccessLog implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger("dev.gatehouse.access");

  @Override
  public void handle(RoutingContext ctx) {
    if (LOG.isInfoEnabled()) {
      long start = System.nanoTime();
      ctx.addEndHandler(done -> LOG.info("{} {} {} {}ms {}", ctx.request().method(), clip(ctx.request().path()),
          ctx.response().getStatusCode(), (System.nanoTime() - start) / 1_000_000,
          ClientInfo.of(ctx).ip()));
    }
    ctx.next();
  }

  private static String clip(String path) {
    if (path == null) {
      return "-";
    }
    return path.length() > 200 ? path.substring(0, 200) + "…" : path;
  }
}
