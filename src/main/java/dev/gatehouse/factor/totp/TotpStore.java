package dev.gatehouse.factor.totp;

import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.EnvelopeException;
import dev.gatehouse.db.Sql;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every statement on {@code totp_credentials} (a confirmed authenticator app with its replay guard)
 * and {@code totp_setups} (a new secret waiting for its first code). Secrets are sealed at rest,
 * bound to their owner; each method takes the {@link SqlClient} it runs on so callers can join a
 * transaction, and the fragments join the attempt service's two statements.
 */
public final class TotpStore {

  private static final Logger LOG = LoggerFactory.getLogger(TotpStore.class);

  private static final String ENROLLED = "EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = :user)";
  /** What a check needs, read in the statement that charges the budget. */
  private static final String READ = """
      SELECT secret AS totp_secret, last_step AS totp_last_step FROM totp_credentials WHERE user_id = :user""";
  /**
   * The replay guard: only a step later than the last accepted one wins, however many race for it
   * (docs/security.md 2). As the settle statement's proof, it answers whether the code counts:
   * {@code true} for a code accepted now, {@code false} for a disclosed future code that is only spent.
   */
  private static final String SPEND = """
      UPDATE totp_credentials SET last_step = :totp_step, last_used_at = now()
      WHERE user_id = :user AND last_step < :totp_step RETURNING %s AS accepted""";
  /** The same conditional UPDATE on its own: the benchmark's floor for the second step. */
  public static final String USE_STEP = """
      UPDATE totp_credentials SET last_step = $2, last_used_at = now()
      WHERE user_id = $1 AND last_step < $2 RETURNING last_step""";
  private static final String STATUS = """
      SELECT enabled_at, replaced_at FROM totp_credentials WHERE user_id = $1""";
  private static final String SAVE_SETUP = """
      INSERT INTO totp_setups (user_id, secret, created_at, expires_at, reconfigure) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (user_id) DO UPDATE
        SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
            reconfigure = EXCLUDED.reconfigure""";
  private static final String SETUP_SECRET = """
      SELECT secret FROM totp_setups WHERE user_id = $1 AND expires_at > $2""";
  /** Taking the setup row is what makes a confirmation happen once, even when two race. */
  private static final String TAKE_SETUP = """
      DELETE FROM totp_setups WHERE user_id = $1 AND secret = $2 AND expires_at > $3 RETURNING reconfigure""";
  private static final String REPLACE_SECRET = """
      UPDATE totp_credentials SET secret = $2, last_step = $3, replaced_at = now(), last_used_at = NULL
      WHERE user_id = $1 RETURNING enabled_at""";
  private static final String INSERT_SECRET = """
      INSERT INTO totp_credentials (user_id, secret, last_step) VALUES ($1, $2, $3) RETURNING enabled_at""";
  private static final String DELETE_SECRET = "DELETE FROM totp_credentials WHERE user_id = $1";
  private static final String DELETE_SETUP = "DELETE FROM totp_setups WHERE user_id = $1";

  private final Envelope envelope;

  public TotpStore(Envelope envelope) {
    this.envelope = envelope;
  }

  /** Whether the user has a confirmed authenticator app, as a SQL expression. */
  Sql enrolled(UUID user) {
    return Sql.of(ENROLLED).bind("user", user);
  }

  Sql read(UUID user) {
    return Sql.of(READ).bind("user", user);
  }

  /** Spends {@code step} if it is later than the last one; {@code counts}: whether that accepts the code. */
  Sql spend(UUID user, long step, boolean counts) {
    return Sql.of(String.format(SPEND, counts ? "true" : "false")).bind("user", user).bind("totp_step", step);
  }

  /** Whether 2FA with an app is on, and since when: empty when it is off. */
  public Future<Optional<Status>> status(SqlClient db, UUID user) {
    return db.preparedQuery(STATUS).execute(Tuple.of(user)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new Status(row.getOffsetDateTime("enabled_at").toInstant(),
          Optional.ofNullable(row.getOffsetDateTime("replaced_at")).map(OffsetDateTime::toInstant)));
    });
  }

  /**
   * Keeps a fresh secret waiting for its first code, replacing any earlier setup of this user.
   * {@code reconfigure}: started while an app is confirmed, under full-strength sudo, so confirming
   * it may replace that app's secret.
   */
  Future<Void> saveSetup(SqlClient db, UUID user, TotpSecret secret, Instant now, Instant expires,
                         boolean reconfigure) {
    return db.preparedQuery(SAVE_SETUP)
        .execute(Tuple.of(user, seal(secret, user), utc(now), utc(expires), reconfigure)).mapEmpty();
  }

  /** The sealed secret of the setup in progress, while it has not expired or been confirmed. */
  Future<Optional<String>> setupSealed(SqlClient db, UUID user, Instant now) {
    return db.preparedQuery(SETUP_SECRET).execute(Tuple.of(user, utc(now)))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString("secret")));
  }

  /** Takes the setup (once, even when two confirmations race): empty when someone else took it. */
  Future<Optional<Boolean>> takeSetup(SqlClient tx, UUID user, String sealed, Instant now) {
    return tx.preparedQuery(TAKE_SETUP).execute(Tuple.of(user, sealed, utc(now)))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(rows.iterator().next().getBoolean("reconfigure")));
  }

  /** Replaces the confirmed secret; false when there was none to replace. */
  Future<Boolean> replaceSecret(SqlClient tx, UUID user, String sealed, long step) {
    return tx.preparedQuery(REPLACE_SECRET).execute(Tuple.of(user, sealed, step)).map(rows -> rows.size() == 1);
  }

  Future<Void> insertSecret(SqlClient tx, UUID user, String sealed, long step) {
    return tx.preparedQuery(INSERT_SECRET).execute(Tuple.of(user, sealed, step)).mapEmpty();
  }

  /** Forgets the secret and any setup in progress: part of turning 2FA off. */
  Future<Void> delete(SqlClient tx, UUID user) {
    return tx.preparedQuery(DELETE_SECRET).execute(Tuple.of(user))
        .compose(v -> tx.preparedQuery(DELETE_SETUP).execute(Tuple.of(user)))
        .mapEmpty();
  }

  private String seal(TotpSecret secret, UUID user) {
    return envelope.seal(secret.bytes(), context(user));
  }

  /**
   * A secret that does not open (its key is no longer configured, or the row was tampered with) is a
   * server fault, logged once here; it never signs anyone in.
   */
  TotpSecret open(String sealed, UUID user) {
    try {
      return TotpSecret.of(envelope.open(sealed, context(user)));
    } catch (EnvelopeException e) {
      LOG.error("The TOTP secret of user {} cannot be read: {}", user, e.getMessage());
      throw new Problem(500, "two_factor_unreadable", "Server error",
          "Your authenticator app cannot be checked right now. Sign in with a recovery code instead.");
    }
  }

  /** Binds the sealed secret to its owner: copied into another user's row, it does not open. */
  public static String context(UUID user) {
    return "totp:" + user;
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  /** 2FA is on since {@code enabledAt}; {@code replacedAt} is the last re-configuration. */
  public record Status(Instant enabledAt, Optional<Instant> replacedAt) {
  }
}
