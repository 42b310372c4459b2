package dev.gatehouse.http;

import dev.gatehouse.crypto.CsrfTokens;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Function;

/**
 * Double-submit CSRF protection (docs/security.md 13), in vertx-web's naming: every GET sets the
 * {@code XSRF-TOKEN} cookie when it holds no valid token, every unsafe request must echo it in
 * {@code X-XSRF-TOKEN}, and the token must be one the server signed for this request's session.
 *
 * <p>Stateless (docs/security.md 30): a token is a random value with its HMAC under a subkey of the
 * server key ({@link CsrfTokens}), bound to the session id, or to no session for a visitor who has
 * none, so an anonymous page view stores nothing anywhere. {@link #rotate} issues a new token
 * whenever the binding changes (a new session id, a session ended). Not vertx-web's
 * {@code CSRFHandler}: that one keeps the token in the session and rotates it on every POST, so
 * parallel requests from one page refuse each other. Cross-site requests that a browser labels
 * ({@code Sec-Fetch-Site: cross-site}, or a foreign {@code Origin}) are refused outright.
 */
public final class Csrf implements Handler<RoutingContext> {

  public static final String COOKIE = "XSRF-TOKEN";
  public static final String HEADER = "X-XSRF-TOKEN";

  private final boolean secure;
  private final String publicOrigin;
  private final CsrfTokens tokens;
  private final Function<RoutingContext, String> binding;

  /** {@code binding} answers the id of the request's stored session, or "" when it has none. */
  public Csrf(boolean secure, String publicOrigin, CsrfTokens tokens, Function<RoutingContext, String> binding) {
    this.secure = secure;
    this.publicOrigin = publicOrigin;
    this.tokens = tokens;
    this.binding = binding;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(Csrf.class.getName(), this);
    HttpMethod method = ctx.request().method();
    boolean unsafe = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.DELETE
        || method == HttpMethod.PATCH;
    Cookie cookie = ctx.request().getCookie(COOKIE);
    String bound = binding.apply(ctx);
    if (!unsafe) {
      if (cookie == null || !tokens.valid(cookie.getValue(), bound)) {
        issue(ctx, bound);
      }
      ctx.next();
      return;
    }
    if ("cross-site".equals(ctx.request().getHeader("Sec-Fetch-Site")) || foreignOrigin(ctx)) {
      ctx.fail(refused("This request came from another site."));
      return;
    }
    String header = ctx.request().getHeader(HEADER);
    if (header == null || cookie == null || !constantTimeEquals(header, cookie.getValue())
        || !tokens.valid(header, bound)) {
      ctx.fail(refused("The CSRF token is missing or stale: reload the page and try again."));
      return;
    }
    ctx.next();
  }

  /** Issues a fresh token for the request's session as it is now (call whenever its id changes or it ends). */
  public static void rotate(RoutingContext ctx) {
    Csrf csrf = ctx.get(Csrf.class.getName());
    if (csrf != null) {
      csrf.issue(ctx, csrf.binding.apply(ctx));
    }
  }

  private void issue(RoutingContext ctx, String bound) {
    byte[] random = new byte[CsrfTokens.RANDOM_BYTES];
    VertxContextPRNG.current(ctx.vertx()).nextBytes(random);
    // Readable by the page's script (that is the point of double submit); SameSite=Strict.
    ctx.response().addCookie(Cookie.cookie(COOKIE, tokens.issue(bound, random)).setPath("/").setHttpOnly(false)
        .setSecure(secure).setSameSite(CookieSameSite.STRICT));
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
