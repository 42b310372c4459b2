package dev.gatehouse.sso;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The organisation tables: every query about organisations, their domains and members sits here. */
public final class Organisations {

  private static final String COLUMNS = "o.id, o.slug, o.name, o.sso_issuer, o.sso_client_id, o.sso_client_secret, o.sso_enabled";

  private static final String INSERT = """
      INSERT INTO organisations (slug, name) VALUES ($1, $2)
      RETURNING id, slug, name, sso_issuer, sso_client_id, sso_client_secret, sso_enabled""";
  private static final String ADD_MEMBER = """
      INSERT INTO organisation_members (organisation_id, user_id, role) VALUES ($1, $2, $3)
      ON CONFLICT (organisation_id, user_id) DO NOTHING RETURNING role""";
  private static final String BY_SLUG = "SELECT " + COLUMNS + " FROM organisations o WHERE o.slug = $1";
  private static final String ROLE = "SELECT role FROM organisation_members WHERE organisation_id = $1 AND user_id = $2";
  private static final String MEMBERSHIPS = """
      SELECT o.slug, o.name, o.sso_enabled, m.role FROM organisation_members m
      JOIN organisations o ON o.id = m.organisation_id
      WHERE m.user_id = $1 ORDER BY m.role = 'owner' DESC, m.joined_at, o.slug""";
  private static final String MEMBERS = """
      SELECT u.id, u.email, u.name, m.role, m.joined_at, u.password_hash IS NOT NULL AS has_password
      FROM organisation_members m JOIN users u ON u.id = m.user_id
      WHERE m.organisation_id = $1 ORDER BY m.role = 'owner' DESC, u.email""";
  private static final String DOMAINS = """
      SELECT domain, verification_token, verified_at FROM organisation_domains
      WHERE organisation_id = $1 ORDER BY domain""";
  private static final String ADD_DOMAIN = """
      INSERT INTO organisation_domains (organisation_id, domain, verification_token) VALUES ($1, $2, $3)
      ON CONFLICT (organisation_id, domain) DO NOTHING RETURNING domain, verification_token, verified_at""";
  private static final String DOMAIN = """
      SELECT domain, verification_token, verified_at FROM organisation_domains
      WHERE organisation_id = $1 AND domain = $2""";
  private static final String MARK_VERIFIED = """
      UPDATE organisation_domains SET verified_at = now()
      WHERE organisation_id = $1 AND domain = $2 AND verified_at IS NULL
      RETURNING domain, verification_token, verified_at""";
  private static final String REMOVE_DOMAIN = "DELETE FROM organisation_domains WHERE organisation_id = $1 AND domain = $2";
  // The row is locked and its old provider answered with the new one, so that what changed is judged on
  // the row as it was, not as a request read it earlier. A new issuer records the one it replaced only
  // when the owner carries the members over ($6); any other change of the issuer forgets it.
  private static final String UPDATE_SSO = """
      UPDATE organisations o SET sso_issuer = $2, sso_client_id = $3, sso_client_secret = $4, sso_enabled = $5,
        sso_carry_over_from = CASE
          WHEN rtrim(old.sso_issuer, '/') IS NOT DISTINCT FROM rtrim($2, '/') THEN old.sso_carry_over_from
          WHEN $6 THEN old.sso_issuer END,
        updated_at = now()
      FROM (SELECT id, sso_issuer, sso_client_id, sso_client_secret, sso_enabled, sso_carry_over_from
            FROM organisations WHERE id = $1 FOR UPDATE) old
      WHERE o.id = old.id
      RETURNING o.id, o.slug, o.name, o.sso_issuer, o.sso_client_id, o.sso_client_secret, o.sso_enabled,
        o.sso_carry_over_from, old.sso_issuer AS old_issuer, old.sso_client_id AS old_client_id,
        old.sso_client_secret AS old_client_secret, old.sso_enabled AS old_enabled""";
  private static final String MEMBER_IDS = "SELECT user_id FROM organisation_members WHERE organisation_id = $1";
  // FOR SHARE waits for a change of the provider being written, then reads it.
  private static final String STILL_USES = """
      SELECT 1 FROM organisations WHERE id = $1 AND sso_enabled AND sso_issuer = $2 AND sso_client_id = $3 FOR SHARE""";
  private static final String CARRY_OVER = "SELECT name, sso_carry_over_from FROM organisations WHERE id = $1";
  private static final String RENAME = "UPDATE organisations SET name = $2, updated_at = now() WHERE id = $1";
  /** Only verified domains of organisations with SSO on: what discovery and sign-in go by. */
  private static final String SSO_BY_DOMAIN = "SELECT " + COLUMNS + """
       FROM organisation_domains d JOIN organisations o ON o.id = d.organisation_id
      WHERE d.domain = $1 AND d.verified_at IS NOT NULL AND o.sso_enabled""";
  private static final String HAS_VERIFIED_DOMAIN = """
      SELECT 1 FROM organisation_domains WHERE organisation_id = $1 AND domain = $2 AND verified_at IS NOT NULL""";
  /**
   * The organisation whose provider a user must sign in through: SSO is on, and the user is one of
   * its members or has an email at one of its verified domains. Owners of that organisation keep
   * their password (and its 2FA) as the way back in when the provider is broken.
   */
  private static final String SSO_REQUIRED = """
      SELECT o.slug, u.email FROM organisations o, users u
      WHERE u.id = $1 AND o.sso_enabled
        AND (EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = o.id AND m.user_id = u.id)
          OR EXISTS (SELECT 1 FROM organisation_domains d WHERE d.organisation_id = o.id AND d.verified_at IS NOT NULL
                       AND d.domain = split_part(u.email, '@', 2)))
        AND NOT EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = o.id AND m.user_id = u.id
                          AND m.role = 'owner')
      ORDER BY o.slug LIMIT 1""";

  private final Pool pool;

  public Organisations(Pool pool) {
    this.pool = pool;
  }

  /** Creates the organisation with its creator as owner, in one transaction. */
  public Future<Organisation> create(String slug, String name, UUID owner) {
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT).execute(Tuple.of(slug, name))
        .map(rows -> Organisation.from(rows.iterator().next()))
        .compose(org -> conn.preparedQuery(ADD_MEMBER).execute(Tuple.of(org.id(), owner, Membership.OWNER)).map(org)));
  }

  public Future<Optional<Organisation>> bySlug(String slug) {
    return pool.preparedQuery(BY_SLUG).execute(Tuple.of(slug)).map(rows -> first(rows).map(Organisation::from));
  }

  /** The user's role in the organisation, or empty for a non-member. */
  public Future<Optional<String>> role(UUID organisation, UUID user) {
    return pool.preparedQuery(ROLE).execute(Tuple.of(organisation, user))
        .map(rows -> first(rows).map(row -> row.getString("role")));
  }

  /** Every organisation the user belongs to, those they own first. */
  public Future<List<Membership>> memberships(UUID user) {
    return pool.preparedQuery(MEMBERSHIPS).execute(Tuple.of(user)).map(rows -> {
      List<Membership> list = new ArrayList<>();
      for (Row row : rows) {
        list.add(new Membership(row.getString("slug"), row.getString("name"), row.getString("role"),
            row.getBoolean("sso_enabled")));
      }
      return list;
    });
  }

  public Future<JsonArray> members(UUID organisation) {
    return pool.preparedQuery(MEMBERS).execute(Tuple.of(organisation)).map(rows -> {
      JsonArray members = new JsonArray();
      for (Row row : rows) {
        members.add(new JsonObject()
            .put("id", row.getUUID("id").toString())
            .put("email", row.getString("email"))
            .put("name", row.getString("name"))
            .put("role", row.getString("role"))
            .put("joinedAt", row.getOffsetDateTime("joined_at").toInstant().toString())
            .put("passwordSet", row.getBoolean("has_password")));
      }
      return members;
    });
  }

  public Future<List<OrganisationDomain>> domains(UUID organisation) {
    return pool.preparedQuery(DOMAINS).execute(Tuple.of(organisation)).map(rows -> {
      List<OrganisationDomain> list = new ArrayList<>();
      rows.forEach(row -> list.add(OrganisationDomain.from(row)));
      return list;
    });
  }

  public Future<Optional<OrganisationDomain>> domain(UUID organisation, String domain) {
    return pool.preparedQuery(DOMAIN).execute(Tuple.of(organisation, domain))
        .map(rows -> first(rows).map(OrganisationDomain::from));
  }

  /** Adds a pending claim, on {@code db}; empty when the organisation already claims that domain. */
  Future<Optional<OrganisationDomain>> addDomain(SqlClient db, UUID organisation, String domain, String token) {
    return db.preparedQuery(ADD_DOMAIN).execute(Tuple.of(organisation, domain, token))
        .map(rows -> first(rows).map(OrganisationDomain::from));
  }

  /**
   * Marks a pending claim verified, on {@code db}; empty when it was not pending. Fails with a
   * unique violation when another organisation verified the domain first.
   */
  Future<Optional<OrganisationDomain>> markVerified(SqlClient db, UUID organisation, String domain) {
    return db.preparedQuery(MARK_VERIFIED).execute(Tuple.of(organisation, domain))
        .map(rows -> first(rows).map(OrganisationDomain::from));
  }

  Future<Boolean> removeDomain(SqlClient db, UUID organisation, String domain) {
    return db.preparedQuery(REMOVE_DOMAIN).execute(Tuple.of(organisation, domain)).map(rows -> rows.rowCount() > 0);
  }

  public Future<Boolean> hasVerifiedDomain(UUID organisation, String domain) {
    return pool.preparedQuery(HAS_VERIFIED_DOMAIN).execute(Tuple.of(organisation, domain)).map(rows -> rows.size() > 0);
  }

  /** An organisation's provider as it was before a change, and as it is now. */
  record ProviderUpdate(Organisation before, Organisation after) {
  }

  /**
   * Sets the provider on {@code db} (the caller's transaction); {@code carryOver} matters only when
   * the issuer changes: the new one may then take over the old one's members ({@link #carryOverFrom}).
   */
  Future<ProviderUpdate> updateSso(SqlClient db, UUID organisation, String issuer, String clientId, String sealedSecret,
                                   boolean enabled, boolean carryOver) {
    return db.preparedQuery(UPDATE_SSO)
        .execute(Tuple.from(new Object[] {organisation, issuer, clientId, sealedSecret, enabled, carryOver}))
        .map(rows -> {
          Row row = rows.iterator().next();
          Organisation after = Organisation.from(row);
          return new ProviderUpdate(new Organisation(after.id(), after.slug(), after.name(), row.getString("old_issuer"),
              row.getString("old_client_id"), row.getString("old_client_secret"), row.getBoolean("old_enabled")), after);
        });
  }

  /** Every member's id, read on {@code db}. */
  Future<List<UUID>> memberIds(SqlClient db, UUID organisation) {
    return db.preparedQuery(MEMBER_IDS).execute(Tuple.of(organisation)).map(rows -> {
      List<UUID> ids = new ArrayList<>();
      rows.forEach(row -> ids.add(row.getUUID("user_id")));
      return ids;
    });
  }

  /**
   * Whether the organisation still signs in through this issuer and client; waits for a change of
   * its provider that is being written, so that a sign-in finishing meanwhile sees its outcome.
   */
  Future<Boolean> stillUses(Organisation org) {
    return pool.preparedQuery(STILL_USES).execute(Tuple.of(org.id(), org.issuer(), org.clientId()))
        .map(rows -> rows.size() > 0);
  }

  /** The organisation's name and the issuer whose members its current one may take over, if the owner said so. */
  record CarryOver(String organisationName, Optional<String> from) {
  }

  Future<CarryOver> carryOverFrom(SqlClient db, UUID organisation) {
    return db.preparedQuery(CARRY_OVER).execute(Tuple.of(organisation)).map(rows -> {
      Row row = rows.iterator().next();
      return new CarryOver(row.getString("name"), Optional.ofNullable(row.getString("sso_carry_over_from")));
    });
  }

  public Future<Void> rename(UUID organisation, String name) {
    return pool.preparedQuery(RENAME).execute(Tuple.of(organisation, name)).mapEmpty();
  }

  /** The organisation with SSO on that has verified this email domain, if any. */
  public Future<Optional<Organisation>> ssoByDomain(String domain) {
    return pool.preparedQuery(SSO_BY_DOMAIN).execute(Tuple.of(domain)).map(rows -> first(rows).map(Organisation::from));
  }

  /** The organisation whose provider the user must sign in through, if any, and the user's email. */
  public Future<Optional<SsoRequirement>> ssoRequiredFor(UUID user) {
    return pool.preparedQuery(SSO_REQUIRED).execute(Tuple.of(user))
        .map(rows -> first(rows).map(row -> new SsoRequirement(row.getString("slug"), row.getString("email"))));
  }

  public record SsoRequirement(String slug, String email) {
  }

  /** Someone's membership after an SSO sign-in: whether they joined just now, and their role. */
  public record Joining(boolean joinedNow, String role) {
  }

  /**
   * Makes the user a member of the organisation unless they are one already, on {@code db} so that
   * it joins the caller's transaction.
   */
  public Future<Joining> join(SqlClient db, UUID organisation, UUID user) {
    return db.preparedQuery(ADD_MEMBER).execute(Tuple.of(organisation, user, Membership.MEMBER))
        .compose(added -> added.size() > 0
            ? Future.succeededFuture(new Joining(true, Membership.MEMBER))
            : db.preparedQuery(ROLE).execute(Tuple.of(organisation, user))
                .map(rows -> new Joining(false, rows.iterator().next().getString("role"))));
  }

  /** Whether the user is a member of the organisation, read on {@code db}. */
  public Future<Boolean> isMember(SqlClient db, UUID organisation, UUID user) {
    return db.preparedQuery(ROLE).execute(Tuple.of(organisation, user)).map(rows -> rows.size() > 0);
  }

  private static Optional<Row> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
  }
}
