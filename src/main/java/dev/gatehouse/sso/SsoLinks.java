package dev.gatehouse.sso;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.signin.SignInHook;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Linking an SSO identity to an existing account with a password (docs/security.md 34). The SSO
 * callback leaves the identity waiting in the browser's server-side session and sends the person
 * to the sign-in page; when a sign-in of that very account completes in the same session
 * (password, and the second step when 2FA is on) the identity is bound to it. Anything else (another
 * account signs in, ten minutes pass, the person cancels or signs out) links nothing.
 *
 * <ul>
 *   <li>{@code GET /api/sso/link}: {@code {state: "pending", organisation, email, expiresAt}} while
 *       one waits, {@code {state: "linked", organisation}} once after it was linked, else 404;
 *   <li>{@code DELETE /api/sso/link}: 204, nothing waits any more.
 * </ul>
 */
public final class SsoLinks implements RouteModule, SignInHook {

  private static final Logger LOG = LoggerFactory.getLogger(SsoLinks.class);
  /** Where the SSO callback sends someone whose account must prove itself first. */
  static final String LANDING = "/signin?sso_link=1";

  private final SsoIdentities identities;
  private final SecurityEvents events;
  private final Clock clock;

  public SsoLinks(SsoIdentities identities, SecurityEvents events, Clock clock) {
    this.identities = identities;
    this.events = events;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/sso/link").handler(this::show);
    router.delete("/api/sso/link").handler(this::cancel);
  }

  /**
   * Leaves the identity waiting in this session (anyone signed in here is signed out first, so that
   * the account can sign in) and tells the account's owner that someone asked; answers where to go.
   */
  Future<String> await(RoutingContext ctx, Organisation org, SsoIdentities.ProveFirst outcome, ClientInfo client) {
    // Whoever was signed in here is signed out; the session, under a new id, holds the waiting link,
    // stored before the browser is sent on.
    SessionUser.restart(ctx);
    new PendingLink(outcome.who(), org.slug(), org.name(), outcome.user(), clock.millis()).store(ctx);
    LOG.info("SSO sign-in via {} waits for the account with that address to prove itself", org.slug());
    return SessionUser.save(ctx).compose(v -> events.recordBestEffort(outcome.user(), SsoIdentities.LINK_REQUESTED,
        client, new JsonObject().put("organisation", org.name()))).map(LANDING);
  }

  /** True while a fresh link waits in this session for this account: its password may be used to prove it. */
  boolean waitingFor(RoutingContext ctx, UUID user) {
    return waiting(ctx).filter(link -> link.user().equals(user)).isPresent();
  }

  @Override
  public Future<Void> signedIn(RoutingContext ctx, UUID user, String email, ClientInfo client) {
    Optional<PendingLink> waiting = waiting(ctx);
    PendingLink.clear(ctx);
    if (waiting.isEmpty()) {
      return Future.succeededFuture();
    }
    PendingLink link = waiting.get();
    if (!link.user().equals(user)) {
      LOG.info("SSO link for organisation {} dropped: another account signed in", link.organisationSlug());
      return Future.succeededFuture();
    }
    return identities.link(link, link.organisationName(), ctx, client)
        .compose(joining -> joining.joinedNow()
            ? events.recordBestEffort(user, OrganisationRoutes.JOINED, client, new JsonObject()
                .put("organisation", link.organisationName()).put("role", joining.role()))
            : Future.succeededFuture())
        .onSuccess(v -> {
          ctx.session().put(PendingLink.LINKED_KEY, new JsonObject().put("slug", link.organisationSlug())
              .put("name", link.organisationName()).encode());
          LOG.info("SSO identity of organisation {} linked to the account that proved itself", link.organisationSlug());
        })
        .recover(err -> {
          LOG.warn("SSO link for organisation {} not made: {}", link.organisationSlug(), err.toString());
          return Future.succeededFuture();
        });
  }

  private void show(RoutingContext ctx) {
    ctx.response().putHeader("Cache-Control", "no-store");
    Optional<PendingLink> waiting = waiting(ctx);
    if (waiting.isPresent()) {
      PendingLink link = waiting.get();
      ctx.json(new JsonObject().put("state", "pending")
          .put("organisation", new JsonObject().put("name", link.organisationName()).put("slug", link.organisationSlug()))
          .put("email", link.who().email())
          .put("expiresAt", Instant.ofEpochMilli(link.since() + SsoSignIn.FLOW_LIFETIME.toMillis()).toString()));
      return;
    }
    String linked = SessionUser.current(ctx).map(session -> session.<String>remove(PendingLink.LINKED_KEY)).orElse(null);
    if (linked != null) {
      SessionUser.save(ctx).onSuccess(v -> ctx.json(new JsonObject().put("state", "linked")
          .put("organisation", new JsonObject(linked)))).onFailure(ctx::fail);
      return;
    }
    ctx.fail(new Problem(404, "no_sso_link", "Not found", "No SSO sign-in is waiting to be linked in this browser."));
  }

  private void cancel(RoutingContext ctx) {
    PendingLink.clear(ctx);
    SessionUser.save(ctx).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  /** The link waiting in this session, while it is fresh; a stale one is forgotten. */
  private Optional<PendingLink> waiting(RoutingContext ctx) {
    Optional<PendingLink> link = PendingLink.of(ctx);
    if (link.isPresent() && clock.millis() - link.get().since() > SsoSignIn.FLOW_LIFETIME.toMillis()) {
      PendingLink.clear(ctx);
      return Optional.empty();
    }
    return link;
  }
}
