package dev.gatehouse.http;

import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Double-submit CSRF protection bound to the session (docs/security.md 13), in vertx-web's naming:
 * every GET sets the {@code XSRF-TOKEN} cookie, every unsafe request must echo it in
 * {@code X-XSRF-TOKEN}, and it must equal the token kept in the server-side session.
 *
 * <p>Not vertx-web's {@code CSRFHandler}, because that one rotates the token on every POST (so
 * parallel requests from one page refuse each other) and binds it to the session id without a way
 * to re-issue it when the id is rotated at sign-in. Here the token lives as long as the session id:
 * {@link #rotate} issues a new one whenever the id changes. Cross-site requests that a browser
 * labels ({@code Sec-Fetch-Site: cross-site}, or a foreign {@code Origin}) are refused outright.
 */
public final class Csrf implements Handler<RoutingContext> {

  public static final String COOKIE = "XSRF-TOKEN";
  public static final String HEADER = "X-XSRF-TOKEN";
  private static final String SESSION_KEY = "csrf";

  private final boolean secure;
  private final String publicOrigin;

  public Csrf(boolean secure, String publicOrigin) {
    this.secure = secure;
    this.publicOrigin = publicOrigin;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(Csrf.class.getName(), this);
    HttpMethod method = ctx.request().method();
    boolean unsafe = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.DELETE
        || method == HttpMethod.PATCH;
    Session session = ctx.session();
    if (!unsafe) {
      String token = session.get(SESSION_KEY);
      if (token == null) {
        token = rotate(ctx);
      } else {
        Cookie cookie = ctx.request().getCookie(COOKIE);
        if (cookie == null || !token.equals(cookie.getValue())) {
          setCookie(ctx, token);
        }
      }
      ctx.next();
      return;
    }
    if ("cross-site".equals(ctx.request().getHeader("Sec-Fetch-Site")) || foreignOrigin(ctx)) {
      ctx.fail(refused("This request came from another site."));
      return;
    }
    String expected = session.get(SESSION_KEY);
    String header = ctx.request().getHeader(HEADER);
    Cookie cookie = ctx.request().getCookie(COOKIE);
    if (expected == null || header == null || cookie == null
        || !constantTimeEquals(header, cookie.getValue()) || !constantTimeEquals(header, expected)) {
      ctx.fail(refused("The CSRF token is missing or stale: reload the page and try again."));
      return;
    }
    ctx.next();
  }

  /** Issues a fresh token for the session (call whenever the session id changes). */
  public static String rotate(RoutingContext ctx) {
    byte[] bytes = new byte[32];
    VertxContextPRNG.current(ctx.vertx()).nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    ctx.session().put(SESSION_KEY, token);
    Csrf csrf = ctx.get(Csrf.class.getName());
    setCookie(ctx, token, csrf == null || csrf.secure);
    return token;
  }

  private void setCookie(RoutingContext ctx, String token) {
    setCookie(ctx, token, secure);
  }

  private static void setCookie(RoutingContext ctx, String token, boolean secure) {
    // Readable by the page's script (that is the point of double submit); SameSite=Strict.
    ctx.response().addCookie(Cookie.cookie(COOKIE, token).setPath("/").setHttpOnly(false).setSecure(secure)
        .setSameSite(CookieSameSite.STRICT));
  }

  private boolean foreignOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || "null".equals(origin)) {
      return "null".equals(origin);
    }
    if (origin.equalsIgnoreCase(publicOrigin)) {
      return false;
    }
    // Same host the request was addressed to (e.g. a test server on a random port) also counts as ours.
    String host = ctx.request().authority() == null ? null : ctx.request().authority().toString();
    return host == null || !(origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host));
  }

  private static Problem refused(String detail) {
    return Problem.forbidden("csrf_failed", detail);
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
