package dev.gatehouse.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Pages that hand out secrets on a GET (the recovery-code download and printable sheet) are only
 * for our own pages: the session cookie is SameSite=Lax, so a link on another site would carry it
 * along on a top-level navigation. Browsers label such requests {@code Sec-Fetch-Site: cross-site}
 * (docs/security.md 41).
 */
public final class CrossSite {

  private CrossSite() {
  }

  /** Refuses a request the browser says another site started; anything else goes on. */
  public static Handler<RoutingContext> refused() {
    return ctx -> {
      if ("cross-site".equalsIgnoreCase(ctx.request().getHeader("Sec-Fetch-Site"))) {
        ctx.fail(Problem.forbidden("cross_site", "This page opens only from Gatehouse itself, not from a link on another site."));
      } else {
        ctx.next();
      }
    };
  }
}
