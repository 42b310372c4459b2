package dev.gatehouse.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * Who is asking, as far as the server can tell: the client address (the socket's, or the
 * {@code X-Forwarded-For} entry added by a configured trusted proxy, never one a client wrote
 * itself) and the user agent, clipped for storage.
 */
public record ClientInfo(String ip, String userAgent) {

  private static final int MAX_USER_AGENT = 256;

  private static final String KEY = ClientInfo.class.getName();

  /** The first handler of every request: who is asking is worked out once and kept on the context. */
  public static Handler<RoutingContext> resolver(List<String> trustedProxies) {
    return ctx -> {
      String agent = ctx.request().getHeader("User-Agent");
      if (agent != null && agent.length() > MAX_USER_AGENT) {
        agent = agent.substring(0, MAX_USER_AGENT);
      }
      ctx.put(KEY, new ClientInfo(address(ctx, trustedProxies), agent));
      ctx.next();
    };
  }

  /** Who is asking, as the {@link #resolver} found. */
  public static ClientInfo of(RoutingContext ctx) {
    ClientInfo client = ctx.get(KEY);
    if (client == null) {
      throw new IllegalStateException("ClientInfo.resolver is not mounted");
    }
    return client;
  }

  static String address(RoutingContext ctx, List<String> trustedProxies) {
    String peer = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    if (trustedProxies.isEmpty() || !trustedProxies.contains(peer)) {
      return peer;
    }
    // Every line, in order: a client can send a line of its own in front of the one our proxy adds
    // (docs/security.md 40), and reading only the first would believe the client's.
    List<String> lines = ctx.request().headers().getAll("X-Forwarded-For");
    String forwarded = String.join(",", lines);
    if (forwarded.isBlank()) {
      return peer;
    }
    // Walk from the right: the last hop not run by us is the client as our proxies saw it.
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (hop.isEmpty() || hop.length() > 64) {
        return peer;
      }
      if (!trustedProxies.contains(hop)) {
        return hop;
      }
    }
    return peer;
  }
}
