package dev.gatehouse.http;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Headers every response carries (docs/security.md 14): a strict CSP with no inline script or style,
 * no framing, no sniffing, no referrer, HSTS over https; API and account responses are not cached.
 */
public final class SecurityHeaders implements Handler<RoutingContext> {

  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'";

  /** Names and values as netty's ASCII strings, made once: they are written on every response. */
  private static final CharSequence[][] ALWAYS = optimized(new String[][] {
      {"Content-Security-Policy", CSP},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"}});
  private static final CharSequence[][] HTTPS = optimized(new String[][] {
      {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"}});
  private static final CharSequence[][] NOT_CACHED = optimized(new String[][] {
      {"Cache-Control", "no-store"},
      {"Pragma", "no-cache"}});

  private final boolean https;

  public SecurityHeaders(boolean https) {
    this.https = https;
  }

  private static CharSequence[][] optimized(String[][] pairs) {
    CharSequence[][] out = new CharSequence[pairs.length][];
    for (int i = 0; i < pairs.length; i++) {
      out[i] = new CharSequence[] {HttpHeaders.createOptimized(pairs[i][0]), HttpHeaders.createOptimized(pairs[i][1])};
    }
    return out;
  }

  private static void set(MultiMap headers, CharSequence[][] pairs) {
    for (CharSequence[] pair : pairs) {
      headers.set(pair[0], pair[1]);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    MultiMap headers = ctx.response().headers();
    set(headers, ALWAYS);
    if (https) {
      set(headers, HTTPS);
    }
    String path = ctx.normalizedPath();
    if (path.startsWith("/api/") || path.startsWith("/account/") || path.startsWith("/sso/")) {
      set(headers, NOT_CACHED);
    }
    ctx.next();
  }
}
