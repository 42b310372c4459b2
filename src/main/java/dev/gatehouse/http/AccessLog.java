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
      ctx.addEndHandler(done -> {
        String method = ctx.request().method().name();
        String path = clip(ctx.request().path());
        // nginx's 499 for a request whose connection closed before the answer went out.
        int status = ctx.response().ended() ? ctx.response().getStatusCode() : 499;
        long millis = (System.nanoTime() - start) / 1_000_000;
        String client = ClientInfo.of(ctx).ip();
        // The same fields as key-value pairs: the JSON log format carries them as fields of their own.
        LOG.atInfo().addKeyValue("method", method).addKeyValue("path", path).addKeyValue("status", status)
            .addKeyValue("ms", millis).addKeyValue("client", client)
            .log("{} {} {} {}ms {}", method, path, status, millis, client);
      });
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
