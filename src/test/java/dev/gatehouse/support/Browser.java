package dev.gatehouse.support;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A cookie-keeping HTTP client that behaves like the web app: it fetches a page first to get the
 * CSRF cookie and echoes it in {@code X-XSRF-TOKEN} on every unsafe request, reading it afresh
 * each time (it changes at sign-in). Each instance is one browser: its own cookies.
 */
public final class Browser {

  private final String base;
  private final CookieManager cookies;
  private final HttpClient client;
  private boolean sendCsrf = true;
  private final java.util.Map<String, java.util.List<String>> extraHeaders;

  public Browser(String base) {
    this.base = base;
    this.cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
    this.extraHeaders = new java.util.LinkedHashMap<>();
    this.client = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  private Browser(String base, Browser same) {
    this.base = base;
    this.cookies = same.cookies;
    this.client = same.client;
    this.sendCsrf = same.sendCsrf;
    this.extraHeaders = same.extraHeaders;
  }

  /**
   * The same browser (its cookies and headers) talking to another server, as a load balancer would
   * send it to another node. Cookies ignore ports, so both servers must listen on the same host.
   */
  public Browser at(String otherBase) {
    return new Browser(otherBase, this);
  }

  /** A browser that forgets to send the CSRF header (a cross-site form post, say). */
  public Browser withoutCsrf() {
    sendCsrf = false;
    return this;
  }

  /** Sends this header on every request from now on (e.g. {@code X-Forwarded-For}, {@code User-Agent}); null removes it. */
  public Browser header(String name, String value) {
    if (value == null) {
      extraHeaders.remove(name);
    } else {
      extraHeaders.put(name, java.util.List.of(value));
    }
    return this;
  }

  /** Sends this header as several lines on every request from now on, in order (as a proxy chain may). */
  public Browser headerLines(String name, String... lines) {
    extraHeaders.put(name, java.util.List.of(lines));
    return this;
  }

  public Response get(String path) {
    return send(request(path).GET().build());
  }

  public Response post(String path, Object json) {
    return unsafe("POST", path, json);
  }

  public Response put(String path, Object json) {
    return unsafe("PUT", path, json);
  }

  public Response delete(String path) {
    return unsafe("DELETE", path, null);
  }

  public Response delete(String path, Object json) {
    return unsafe("DELETE", path, json);
  }

  /** Sends a raw body with the given content type, CSRF header included. */
  public Response postRaw(String path, String contentType, byte[] body) {
    HttpRequest.Builder b = csrf(request(path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    return send(b.build());
  }

  /** Sends a request built by the test (extra headers, odd methods) with this browser's cookies. */
  public Response send(HttpRequest.Builder builder) {
    return send(builder.build());
  }

  public HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("User-Agent", "GatehouseTest/1.0");
    // The first line replaces a default (the User-Agent); further lines are added, as a proxy chain would.
    extraHeaders.forEach((name, lines) -> {
      b.setHeader(name, lines.get(0));
      lines.subList(1, lines.size()).forEach(line -> b.header(name, line));
    });
    return b;
  }

  private Response unsafe(String method, String path, Object json) {
    HttpRequest.Builder b = csrf(request(path));
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json instanceof String s ? s : json.toString()));
    }
    return send(b.build());
  }

  private HttpRequest.Builder csrf(HttpRequest.Builder b) {
    if (sendCsrf) {
      if (cookie("XSRF-TOKEN").isEmpty()) {
        get("/");
      }
      cookie("XSRF-TOKEN").ifPresent(token -> b.header("X-XSRF-TOKEN", token));
    }
    return b;
  }

  public Optional<String> cookie(String name) {
    return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name))
        .map(HttpCookie::getValue).findFirst();
  }

  /** Replaces (or adds) a cookie, e.g. to replay a stolen session id. */
  public void setCookie(String name, String value) {
    cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name)).toList()
        .forEach(c -> cookies.getCookieStore().remove(URI.create(base), c));
    HttpCookie cookie = new HttpCookie(name, value);
    cookie.setPath("/");
    // As the server's cookies are kept (domain = host), so that a later Set-Cookie replaces this one.
    cookie.setDomain(URI.create(base).getHost());
    cookie.setVersion(0);
    cookies.getCookieStore().add(URI.create(base), cookie);
  }

  public String sessionId() {
    return cookie("gatehouse").orElse(null);
  }

  private Response send(HttpRequest request) {
    try {
      return new Response(client.send(request, HttpResponse.BodyHandlers.ofByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Signs up and returns the browser (not signed in: sign-up does not sign in). */
  public Response signUp(String email, String password) {
    return post("/api/accounts", new JsonObject().put("email", email).put("password", password).put("name", "Test"));
  }

  public Response signIn(String email, String password) {
    return post("/api/session", new JsonObject().put("email", email).put("password", password));
  }

  /** What a response looked like to the client. */
  public record Response(HttpResponse<byte[]> raw) {
    public int status() {
      return raw.statusCode();
    }

    public String body() {
      return new String(raw.body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    public byte[] bytes() {
      return raw.body();
    }

    public JsonObject json() {
      return new JsonObject(body());
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public java.util.List<String> headers(String name) {
      return raw.headers().allValues(name);
    }

    /** The problem {@code code}, for error responses. */
    public String code() {
      return json().getString("code");
    }

    @Override
    public String toString() {
      return raw.statusCode() + " " + body();
    }
  }
}
