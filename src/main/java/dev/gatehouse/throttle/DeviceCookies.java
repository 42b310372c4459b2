package dev.gatehouse.throttle;

import dev.gatehouse.crypto.DeviceCookieKey;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Device cookies (OWASP, "Slow down online guessing attacks with device cookies"; docs/security.md
 * 39): a browser that completed a sign-in for an account keeps a signed, HttpOnly cookie naming that
 * account, so that while strangers' guesses keep the account's password budget blocked, the owner's
 * usual browser is checked against a budget of its own instead ({@link PasswordGuard}).
 *
 * <p>Each entry is {@code nonce.signature}: the signature is an HMAC over the normalised email and
 * the nonce under a subkey of the server key, so an entry names its account without showing the
 * address, is good for that account only, and cannot be made without the key. The nonce keys the
 * device's own budget. A browser keeps entries for its last few accounts. The sign-in flow issues
 * an entry when a sign-in completes.
 */
public final class DeviceCookies {

  /** A browser in a household or a shared office signs in to a few accounts, not to dozens. */
  static final int MAX_ENTRIES = 5;
  static final Duration LIFETIME = Duration.ofDays(180);
  private static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}");
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final DeviceCookieKey key;
  private final String name;
  private final boolean secure;

  public DeviceCookies(DeviceCookieKey key, boolean https) {
    this.key = key;
    // Over https the __Host- prefix keeps subdomains from setting or shadowing it.
    this.name = https ? "__Host-gatehouse-device" : "gatehouse-device";
    this.secure = https;
  }

  /** The device key (the nonce) of a valid entry for this email in the request's cookie, if there is one. */
  public Optional<String> presented(RoutingContext ctx, Optional<String> email) {
    if (email.isEmpty()) {
      return Optional.empty();
    }
    return entries(ctx).stream()
        .filter(entry -> valid(entry, email.get()))
        .map(entry -> entry.substring(0, entry.indexOf('.')))
        .findFirst();
  }

  /** After a completed sign-in: a fresh entry for this account, first in the cookie; its older one goes. */
  public void issue(RoutingContext ctx, String email) {
    byte[] random = new byte[16];
    VertxContextPRNG.current(ctx.vertx()).nextBytes(random);
    String nonce = ENCODER.encodeToString(random);
    List<String> kept = new ArrayList<>();
    kept.add(nonce + "." + ENCODER.encodeToString(key.sign(message(email, nonce))));
    for (String entry : entries(ctx)) {
      if (kept.size() < MAX_ENTRIES && !valid(entry, email)) {
        kept.add(entry);
      }
    }
    ctx.response().addCookie(Cookie.cookie(name, String.join("~", kept)).setPath("/").setHttpOnly(true)
        .setSecure(secure).setSameSite(CookieSameSite.STRICT).setMaxAge(LIFETIME.toSeconds()));
  }

  private List<String> entries(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(name);
    List<String> entries = new ArrayList<>();
    if (cookie == null || cookie.getValue().length() > MAX_ENTRIES * 70) {
      return entries;
    }
    for (String entry : cookie.getValue().split("~")) {
      if (ENTRY.matcher(entry).matches() && entries.size() < MAX_ENTRIES) {
        entries.add(entry);
      }
    }
    return entries;
  }

  private boolean valid(String entry, String email) {
    int dot = entry.indexOf('.');
    return key.verify(message(email, entry.substring(0, dot)), Base64.getUrlDecoder().decode(entry.substring(dot + 1)));
  }

  /** Length-prefixed, so that no two (email, nonce) pairs sign the same bytes. */
  private static String message(String email, String nonce) {
    return "device-cookie:" + email.length() + ":" + email + ":" + nonce;
  }
}
