package dev.gatehouse.sso;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.session.PostgresSessionStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Changes to an organisation's provider and domains are visible and guarded (docs/security.md 35).
 * Each is one transaction: the change, an event in every member's security log ({@link #CHANGED},
 * saying what changed, never the secret), and, when the organisation stops trusting the provider
 * that signed people in until now (another issuer or client, or SSO switched off), the end of
 * every session that provider vouched for. Members' sessions signed in any other way stay. The
 * routes that call this sit behind full-strength sudo.
 */
public final class ProviderChanges {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderChanges.class);
  /** In every member's log: "your organisation's sign-in provider changed". */
  public static final String CHANGED = "organisation.sso_changed";

  private final Pool pool;
  private final Organisations organisations;
  private final SecurityEvents events;

  public ProviderChanges(Pool pool, Organisations organisations, SecurityEvents events) {
    this.pool = pool;
    this.organisations = organisations;
    this.events = events;
  }

  /**
   * Sets the organisation's provider. A new issuer takes over the old one's members only when
   * {@code carryOver} (see {@link SsoIdentities}); the members' log says which.
   */
  Future<Organisation> updateSso(Organisation org, String issuer, String clientId, String sealedSecret, boolean enabled,
                                 boolean carryOver) {
    return pool.withTransaction(tx -> organisations.updateSso(tx, org.id(), issuer, clientId, sealedSecret, enabled,
        carryOver).compose(update -> {
          Organisation before = update.before();
          Organisation after = update.after();
          boolean newIssuer = !Organisation.sameIssuer(before.issuer(), after.issuer());
          boolean newClient = !Objects.equals(before.clientId(), after.clientId());
          List<String> changed = new ArrayList<>();
          if (newIssuer) {
            changed.add("issuer");
          }
          if (newClient) {
            changed.add("clientId");
          }
          if (!Objects.equals(before.sealedSecret(), after.sealedSecret())) {
            changed.add("clientSecret"); // that it changed, never what it is
          }
          if (before.ssoEnabled() != after.ssoEnabled()) {
            changed.add("enabled");
          }
          if (changed.isEmpty()) {
            return Future.succeededFuture(after);
          }
          JsonObject details = new JsonObject().put("organisation", after.name()).put("changed", new JsonArray(changed))
              .put("enabled", after.ssoEnabled());
          if (newIssuer) {
            details.put("issuer", after.issuer());
            if (before.issuer() != null) {
              details.put("previousIssuer", before.issuer()).put("membersCarriedOver", carryOver);
            }
          }
          // Another issuer or client is another provider; with SSO off, nobody vouches any more. A new
          // secret for the same client changes neither who signs people in nor whom they are.
          boolean providerGone = newIssuer || newClient || before.ssoEnabled() && !after.ssoEnabled();
          Future<Optional<List<UUID>>> ended = providerGone
              ? PostgresSessionStore.endThroughProvider(tx, org.id()).map(Optional::of)
              : Future.succeededFuture(Optional.empty());
          return ended.compose(owners -> {
            LOG.info("The provider of organisation {} changed ({}); {} session(s) it had signed in ended", org.slug(),
                String.join(", ", changed), owners.map(List::size).orElse(0));
            return tellMembers(tx, org.id(), details, owners);
          }).map(after);
        }));
  }

  /** Claims a domain; empty when the organisation already claims it (then nobody is told anything). */
  Future<Optional<OrganisationDomain>> addDomain(Organisation org, String domain, String token) {
    return domainChange(org, domain, "added", tx -> organisations.addDomain(tx, org.id(), domain, token),
        Optional::isPresent);
  }

  /** Marks a pending claim verified; empty when it was not pending. */
  Future<Optional<OrganisationDomain>> markVerified(Organisation org, String domain) {
    return domainChange(org, domain, "verified", tx -> organisations.markVerified(tx, org.id(), domain),
        Optional::isPresent);
  }

  Future<Boolean> removeDomain(Organisation org, String domain) {
    return domainChange(org, domain, "removed", tx -> organisations.removeDomain(tx, org.id(), domain), removed -> removed);
  }

  private <T> Future<T> domainChange(Organisation org, String domain, String change, Function<SqlClient, Future<T>> work,
                                     Predicate<T> happened) {
    JsonObject details = new JsonObject().put("organisation", org.name()).put("changed", new JsonArray().add("domains"))
        .put("domain", domain).put("domainChange", change);
    return pool.withTransaction(tx -> work.apply(tx).compose(result -> happened.test(result)
        ? tellMembers(tx, org.id(), details, Optional.empty()).map(result)
        : Future.succeededFuture(result)));
  }

  /** One event in each member's log; with sessions ended, each is told how many of their own. */
  private Future<Void> tellMembers(SqlClient tx, UUID organisation, JsonObject details, Optional<List<UUID>> ended) {
    Map<UUID, Integer> endedPerUser = new HashMap<>();
    ended.ifPresent(owners -> owners.forEach(user -> endedPerUser.merge(user, 1, Integer::sum)));
    return organisations.memberIds(tx, organisation).compose(members -> {
      Map<UUID, JsonObject> each = new LinkedHashMap<>();
      for (UUID member : members) {
        JsonObject own = details.copy();
        ended.ifPresent(owners -> own.put("sessionsEnded", endedPerUser.getOrDefault(member, 0)));
        each.put(member, own);
      }
      return events.recordForEach(tx, CHANGED, each);
    });
  }
}
