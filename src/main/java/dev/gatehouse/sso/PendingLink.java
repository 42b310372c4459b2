package dev.gatehouse.sso;

import dev.gatehouse.session.SessionUser;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;
import java.util.UUID;

/**
 * An SSO identity waiting, in this browser's server-side session, for the account that has its
 * address to prove itself (docs/security.md 34): whose identity, which account, since when. Stored
 * as a JSON string so that a clustered session store can carry it.
 */
public record PendingLink(SsoIdentities.Vouched who, String organisationSlug, String organisationName, UUID user,
                          long since) {

  static final String SESSION_KEY = "ssoLink";
  /** What was linked by the last sign-in in this session, until the web app has read it once. */
  static final String LINKED_KEY = "ssoLinked";

  void store(RoutingContext ctx) {
    ctx.session().put(SESSION_KEY, new JsonObject()
        .put("org", who.organisation().toString()).put("iss", who.issuer()).put("sub", who.subject())
        .put("email", who.email()).put("name", who.name()).put("slug", organisationSlug)
        .put("orgName", organisationName).put("user", user.toString()).put("at", since).encode());
  }

  /** The link waiting in this session, if any. */
  static Optional<PendingLink> of(RoutingContext ctx) {
    String stored = SessionUser.current(ctx).map(session -> session.<String>get(SESSION_KEY)).orElse(null);
    if (stored == null) {
      return Optional.empty();
    }
    try {
      JsonObject json = new JsonObject(stored);
      return Optional.of(new PendingLink(new SsoIdentities.Vouched(UUID.fromString(json.getString("org")),
          json.getString("iss"), json.getString("sub"), json.getString("email"), json.getString("name")),
          json.getString("slug"), json.getString("orgName"), UUID.fromString(json.getString("user")),
          json.getLong("at")));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static void clear(RoutingContext ctx) {
    SessionUser.current(ctx).ifPresent(session -> session.remove(SESSION_KEY));
  }

  @Override
  public String toString() {
    return "PendingLink[" + organisationSlug + "]"; // never the subject or the address
  }
}
