package dev.gatehouse.sso;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.session.OtherSessions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Who an organisation's provider vouched for, bound by the provider's own name for them
 * (organisation, issuer, subject), never silently by email (docs/security.md 34):
 * <ul>
 *   <li>a bound identity signs in to its account, whatever address the provider gives it now;
 *   <li>an address nobody has gets a new account without a password, bound to the identity;
 *   <li>an address whose account has a password is linked only after that account proves itself
 *       (password, and its second factor) in the same browser ({@link SsoLinks});
 *   <li>an address whose account has no password is taken over only when that account is the
 *       organisation's own: a member from before identities were kept, or one bound under the issuer
 *       this organisation's current one replaced, when its owner carried the members over while
 *       changing the issuer (docs/security.md 35); the account's log then says so. A new issuer
 *       alone takes over nothing. Otherwise the sign-in is refused.
 * </ul>
 */
public final class SsoIdentities {

  /** The account's own security log: an identity was linked, and someone asked for it. */
  public static final String LINKED = "sso.linked";
  public static final String LINK_REQUESTED = "sso.link_requested";

  private static final String FIND = """
      SELECT user_id FROM sso_identities WHERE organisation_id = $1 AND issuer = $2 AND subject = $3""";
  private static final String TOUCH = """
      UPDATE sso_identities SET last_used_at = now() WHERE organisation_id = $1 AND issuer = $2 AND subject = $3""";
  // Never overwrites: a subject bound once stays with its account.
  private static final String BIND = """
      INSERT INTO sso_identities (organisation_id, issuer, subject, user_id, email) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (organisation_id, issuer, subject) DO NOTHING RETURNING user_id""";
  private static final String OF_USER = "SELECT organisation_id, issuer FROM sso_identities WHERE user_id = $1";
  private static final String BOUND_IN = "SELECT 1 FROM sso_identities WHERE user_id = $1 AND organisation_id = $2 LIMIT 1";
  // Where an account without a password re-authenticates: the provider that vouched for it last, while SSO is on.
  private static final String REAUTHENTICATES_AT = """
      SELECT o.slug FROM sso_identities i JOIN organisations o ON o.id = i.organisation_id
      WHERE i.user_id = $1 AND o.sso_enabled ORDER BY i.last_used_at DESC LIMIT 1""";

  /** Whom the provider vouched for: its name for them, and what it says about them now. */
  public record Vouched(UUID organisation, String issuer, String subject, String email, String name) {
  }

  /** What an SSO sign-in comes to. */
  public sealed interface Outcome permits SignIn, ProveFirst, Refused {
  }

  /** Sign in as this account. */
  public record SignIn(UUID user, boolean accountCreated, boolean joinedNow, String role) implements Outcome {
  }

  /** The address belongs to an account with a password: it must prove itself before anything is linked. */
  public record ProveFirst(UUID user, Vouched who) implements Outcome {
  }

  /** The address belongs to an account that signs in another way; nothing was changed. */
  public record Refused(String reason) implements Outcome {
  }

  private record Bound(UUID organisation, String issuer) {
  }

  private final Pool pool;
  private final Accounts accounts;
  private final Organisations organisations;
  private final SecurityEvents events;

  public SsoIdentities(Pool pool, Accounts accounts, Organisations organisations, SecurityEvents events) {
    this.pool = pool;
    this.accounts = accounts;
    this.organisations = organisations;
    this.events = events;
  }

  /** Decides (and, for a sign-in, records) what this vouching comes to, in one transaction. */
  public Future<Outcome> resolve(Vouched who) {
    return pool.withTransaction(tx -> find(tx, who).compose(bound -> bound.isPresent()
        ? tx.preparedQuery(TOUCH).execute(Tuple.of(who.organisation(), who.issuer(), who.subject()))
            .compose(v -> signIn(tx, who, bound.get(), false))
        : accounts.byEmail(tx, who.email()).compose(account -> account.isPresent()
            ? unbound(tx, who, account.get())
            : create(tx, who))));
  }

  /** The account this identity is bound to, if any; binds nothing. */
  Future<Optional<UUID>> boundUser(Vouched who) {
    return find(pool, who);
  }

  /** Whether the account has an identity at this organisation's provider (under any issuer). */
  Future<Boolean> isBound(UUID user, UUID organisation) {
    return pool.preparedQuery(BOUND_IN).execute(Tuple.of(user, organisation)).map(rows -> rows.size() > 0);
  }

  /** The slug of the organisation whose provider the account re-authenticates at, if it has one with SSO on. */
  Future<Optional<String>> reauthenticatesAt(UUID user) {
    return pool.preparedQuery(REAUTHENTICATES_AT).execute(Tuple.of(user))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString("slug")));
  }

  /**
   * Binds a waiting link's identity to the account that has just proved itself, makes it a member
   * and writes {@link #LINKED} to its security log, in one transaction.
   */
  public Future<Organisations.Joining> link(PendingLink link, String organisationName, RoutingContext ctx,
                                            ClientInfo client) {
    Vouched who = link.who();
    // docs/security.md 32: linking ends the account's other sessions, with the link or not at all.
    return pool.withTransaction(tx -> bind(tx, who, link.user())
        .compose(v -> organisations.join(tx, who.organisation(), link.user()))
        .compose(joining -> OtherSessions.endAtSignIn(tx, ctx, link.user())
            .compose(ended -> events.recordIn(tx, link.user(), LINKED, client, new JsonObject()
                .put("organisation", organisationName).put("email", who.email()).put("sessionsEnded", ended)))
            .map(joining)));
  }

  private Future<Outcome> create(SqlClient tx, Vouched who) {
    return accounts.createWithoutPassword(tx, who.email(), who.name()).compose(created -> created.isPresent()
        ? bind(tx, who, created.get().id()).compose(v -> signIn(tx, who, created.get().id(), true))
        // Taken since we looked (a sign-up, another sign-in): decided as for any account that has the address.
        : accounts.byEmail(tx, who.email()).compose(account -> unbound(tx, who, account.orElseThrow())));
  }

  private Future<Outcome> unbound(SqlClient tx, Vouched who, Account account) {
    if (account.passwordHash() != null) {
      return Future.succeededFuture(new ProveFirst(account.id(), who));
    }
    return boundTo(tx, account.id()).compose(bound -> {
      if (bound.isEmpty()) {
        // Made by this organisation's SSO before identities were kept.
        return organisations.isMember(tx, who.organisation(), account.id()).compose(member -> member
            ? bind(tx, who, account.id()).compose(v -> signIn(tx, who, account.id(), false))
            : refused());
      }
      return organisations.carryOverFrom(tx, who.organisation()).compose(carry -> {
        // Only this organisation's own account, bound under the issuer the owner carried its members over from,
        // and not under the current one (a subject of this provider holds it already).
        boolean carried = carry.from().isPresent()
            && bound.stream().allMatch(b -> b.organisation().equals(who.organisation())
                && !Organisation.sameIssuer(b.issuer(), who.issuer()))
            && bound.stream().anyMatch(b -> Organisation.sameIssuer(b.issuer(), carry.from().get()));
        if (!carried) {
          return refused();
        }
        return bind(tx, who, account.id())
            .compose(v -> events.recordIn(tx, account.id(), LINKED, null, new JsonObject()
                .put("organisation", carry.organisationName()).put("email", who.email())
                .put("carriedOverFrom", carry.from().get())))
            .compose(v -> signIn(tx, who, account.id(), false));
      });
    });
  }

  private static Future<Outcome> refused() {
    return Future.succeededFuture(new Refused("the address belongs to an account bound to another identity"));
  }

  private Future<Outcome> signIn(SqlClient tx, Vouched who, UUID user, boolean created) {
    return organisations.join(tx, who.organisation(), user)
        .map(joining -> new SignIn(user, created, joining.joinedNow(), joining.role()));
  }

  /** Binds the identity to the account; fails when it is bound to another one (a race with another sign-in). */
  private Future<Void> bind(SqlClient tx, Vouched who, UUID user) {
    return tx.preparedQuery(BIND)
        .execute(Tuple.of(who.organisation(), who.issuer(), who.subject(), user, who.email()))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture() : find(tx, who).compose(bound ->
            bound.filter(user::equals).isPresent() ? Future.<Void>succeededFuture()
                : Future.failedFuture(new SsoFailure(SsoFailure.ACCOUNT_CONFLICT,
                    "the identity was bound to another account at the same time"))));
  }

  private static Future<Optional<UUID>> find(SqlClient tx, Vouched who) {
    return tx.preparedQuery(FIND).execute(Tuple.of(who.organisation(), who.issuer(), who.subject()))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("user_id")));
  }

  private static Future<List<Bound>> boundTo(SqlClient tx, UUID user) {
    return tx.preparedQuery(OF_USER).execute(Tuple.of(user)).map(rows -> {
      List<Bound> list = new ArrayList<>();
      for (Row row : rows) {
        list.add(new Bound(row.getUUID("organisation_id"), row.getString("issuer")));
      }
      return list;
    });
  }
}
