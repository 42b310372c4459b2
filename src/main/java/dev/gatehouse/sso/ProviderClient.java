package dev.gatehouse.sso;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The only way Gatehouse talks to an identity provider: discovery, keys and the token endpoint
 * (docs/security.md 36). Each request's host is resolved off the event loop, every address it
 * resolves to is checked against {@link ProviderAddresses}, and the connection is made to the
 * checked address itself (the URL's host still names the server for TLS and {@code Host}), so a
 * name that resolves elsewhere a moment later (DNS rebinding) cannot slip past. Redirects are not
 * followed and answers are capped in size.
 *
 * <p>Not vertx-auth-oauth2's own client: it builds its {@code HttpClient} from options alone, with
 * no hook at resolution or connect time, so its requests cannot be guarded.
 */
final class ProviderClient {

  /** An answer larger than this is no discovery document, key set or token response. */
  static final int MAX_BODY = 256 * 1024;
  private static final int RESOLVER_THREADS = 4;

  /** A provider request refused before any connection was made; the message says why, for the log. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  /** An answer: the status and, when it was JSON, the object. */
  record Reply(int status, JsonObject json) {
  }

  private final HttpClient client;
  private final WorkerExecutor resolver;
  private final boolean allowPrivate;
  private final long timeoutMillis;

  ProviderClient(Vertx vertx, boolean allowPrivate, long timeoutMillis) {
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) timeoutMillis)
        .setIdleTimeout((int) TimeUnit.MILLISECONDS.toSeconds(timeoutMillis))
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setUseAlpn(false));
    // The system resolver blocks: it runs on a few threads of its own, never on an event loop.
    this.resolver = vertx.createSharedWorkerExecutor("gatehouse-sso-resolver", RESOLVER_THREADS);
    this.allowPrivate = allowPrivate;
    this.timeoutMillis = timeoutMillis;
  }

  Future<Reply> getJson(String url) {
    return send(HttpMethod.GET, url, MultiMap.caseInsensitiveMultiMap().add("Accept", "application/json"), null);
  }

  /** A form post (the token endpoint); {@code authorization} is the header value, or null. */
  Future<Reply> postForm(String url, Map<String, String> form, String authorization) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .add("Accept", "application/json")
        .add("Content-Type", "application/x-www-form-urlencoded");
    if (authorization != null) {
      headers.add("Authorization", authorization);
    }
    StringBuilder body = new StringBuilder();
    form.forEach((name, value) -> body.append(body.length() == 0 ? "" : "&")
        .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
    return send(HttpMethod.POST, url, headers, Buffer.buffer(body.toString()));
  }

  private Future<Reply> send(HttpMethod method, String url, MultiMap headers, Buffer body) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Future.failedFuture(new Refused("not a URL"));
    }
    String scheme = uri.getScheme();
    if (!"https".equals(scheme) && !"http".equals(scheme) || uri.getHost() == null || uri.getRawUserInfo() != null) {
      return Future.failedFuture(new Refused("not an http(s) URL with a host"));
    }
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
    return checkedAddress(uri.getHost())
        .compose(address -> client.request(new RequestOptions()
            .setMethod(method)
            .setAbsoluteURI(url)
            .setHeaders(headers.add("User-Agent", "Gatehouse"))
            // Connect to the address that was checked, not to whatever the name resolves to next.
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setFollowRedirects(false)
            .setConnectTimeout(timeoutMillis)
            .setIdleTimeout(timeoutMillis)))
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(ProviderClient::read)
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /** The first address of the host once every address it resolves to has passed the rules. */
  private Future<InetAddress> checkedAddress(String host) {
    String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return resolver.<InetAddress[]>executeBlocking(() -> {
      try {
        return InetAddress.getAllByName(name);
      } catch (UnknownHostException e) {
        throw new Refused(name + " does not resolve");
      }
    }, false).compose(addresses -> {
      if (!allowPrivate) {
        for (InetAddress address : addresses) {
          Optional<String> kind = ProviderAddresses.forbidden(address);
          if (kind.isPresent()) {
            return Future.failedFuture(new Refused(name + " is " + address.getHostAddress() + " (" + kind.get()
                + "), not a public address"));
          }
        }
      }
      return Future.succeededFuture(addresses[0]);
    });
  }

  private static Future<Reply> read(HttpClientResponse response) {
    String length = response.getHeader("Content-Length");
    if (length != null && !length.strip().matches("\\d{1,9}") || length != null && Integer.parseInt(length.strip()) > MAX_BODY) {
      response.request().reset();
      return Future.failedFuture(new Refused("the answer is larger than " + MAX_BODY + " bytes"));
    }
    Promise<Buffer> whole = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      if (body.length() + chunk.length() > MAX_BODY) {
        response.request().reset();
        whole.tryFail(new Refused("the answer is larger than " + MAX_BODY + " bytes"));
      } else {
        body.appendBuffer(chunk);
      }
    });
    response.exceptionHandler(whole::tryFail);
    response.endHandler(v -> whole.tryComplete(body));
    return whole.future().map(buffer -> {
      String type = response.getHeader("Content-Type");
      JsonObject json = null;
      if (type != null && type.toLowerCase(java.util.Locale.ROOT).contains("json") && buffer.length() > 0) {
        try {
          json = buffer.toJsonObject();
        } catch (DecodeException | ClassCastException e) {
          json = null;
        }
      }
      return new Reply(response.statusCode(), json);
    });
  }
}
