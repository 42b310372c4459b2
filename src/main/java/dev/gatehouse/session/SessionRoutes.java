package dev.gatehouse.session;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * "Where you are signed in" (docs/security.md 31): a person lists their sessions and ends any one, or
 * all but the one they are using. An ended session's row is gone, so every node refuses it on its
 * very next request. Sessions are named by an opaque handle, never by their cookie.
 */
public final class SessionRoutes implements RouteModule {

  public static final String ENDED = "session.ended";

  private final PostgresSessionStore store;
  private final SecurityEvents events;
  private final Clock clock;
  private final Metrics metrics;

  public SessionRoutes(PostgresSessionStore store, SecurityEvents events, Clock clock, Metrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.events = events;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/me/sessions").handler(SessionUser.required(clock)).handler(this::list);
    router.delete("/api/me/sessions").handler(SessionUser.required(clock)).handler(this::endOthers);
    router.delete("/api/me/sessions/:id").handler(SessionUser.required(clock)).handler(this::endOne);
  }

  private void list(RoutingContext ctx) {
    store.list(SessionUser.id(ctx), current(ctx))
        .map(sessions -> {
          JsonArray list = new JsonArray();
          sessions.forEach(s -> list.add(new JsonObject()
              .put("id", s.handle().toString())
              .put("current", s.current())
              .put("createdAt", s.createdAt().toInstant().toString())
              .put("lastSeenAt", s.lastSeenAt().toInstant().toString())
              .put("method", s.method())
              .put("device", Device.of(s.userAgent()))
              .put("address", s.address())));
          return new JsonObject().put("sessions", list);
        })
        .onSuccess(body -> ctx.response().putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(body.encode()))
        .onFailure(ctx::fail);
  }

  /** Ends one of the person's sessions; their own current one signs them out. */
  private void endOne(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID handle;
    try {
      handle = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw notFound();
    }
    UUID user = SessionUser.id(ctx);
    JsonObject details = new JsonObject().put("session", handle.toString()).put("by", by(ctx));
    store.end(user, handle, current(ctx))
        .compose(ended -> {
          if (ended.isEmpty()) {
            return Future.failedFuture(notFound());
          }
          details.put("device", Device.of(ended.get().userAgent()));
          metrics.sessionEnded("ended");
          Future<Void> recorded = events.recordBestEffort(user, ENDED, ClientInfo.of(ctx), details);
          if (!ended.get().current()) {
            return recorded;
          }
          SessionUser.signOut(ctx);
          return recorded.compose(v -> SessionUser.save(ctx));
        })
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  /** "Sign out of all other sessions": every session of the account but this one ends. */
  private void endOthers(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    String by = by(ctx);
    store.endOthers(user, current(ctx))
        .onSuccess(ended -> metrics.sessionsEnded("ended", ended.size()))
        .compose(ended -> ended.isEmpty() ? Future.<Void>succeededFuture()
            : events.recordBestEffort(user, ENDED, client, new JsonObject().put("sessions",
                new JsonArray(ended.stream().map(UUID::toString).toList())).put("count", ended.size()).put("by", by)))
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  /** The id the asking session's row is stored under. */
  private static String current(RoutingContext ctx) {
    return ((StoredSession) SessionUser.live(ctx)).storedId();
  }

  private static String by(RoutingContext ctx) {
    UUID handle = SessionUser.handle(ctx);
    return handle == null ? null : handle.toString();
  }

  private static Problem notFound() {
    return new Problem(404, "session_not_found", "Not found", "You have no such session; it may have ended already.");
  }
}
