package dev.gatehouse.factor.totp;

import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.EnvelopeException;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Gatehouse stores for an authenticator app: the confirmed secret with its replay guard, and a
 * setup in progress. Secrets are sealed at rest; a code is used once by one conditional UPDATE.
 */
public final class TotpCredentials {

  private static final Logger LOG = LoggerFactory.getLogger(TotpCredentials.class);

  /** How long a new secret waits for its first code (docs/security.md 16). */
  public static final Duration SETUP_LIFETIME = Duration.ofMinutes(15);

  private static final String ENABLED_AT = """
      SELECT enabled_at, replaced_at FROM totp_credentials WHERE user_id = $1""";
  private static final String SECRET = """
      SELECT secret FROM totp_credentials WHERE user_id = $1""";
  /** The replay guard: only a step later than the last accepted one wins, however many race for it. */
  public static final String USE_STEP = """
      UPDATE totp_credentials SET last_step = $2, last_used_at = now()
      WHERE user_id = $1 AND last_step < $2 RETURNING last_step""";
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
  private final TotpVerifier verifier;
  private final Clock clock;

  public TotpCredentials(Envelope envelope, Clock clock) {
    this.envelope = envelope;
    this.verifier = new TotpVerifier(clock);
    this.clock = clock;
  }

  /** Whether 2FA is on, and since when: empty when it is off. */
  public Future<Optional<Status>> status(SqlClient db, UUID user) {
    return db.preparedQuery(ENABLED_AT).execute(Tuple.of(user)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new Status(row.getOffsetDateTime("enabled_at").toInstant(),
          Optional.ofNullable(row.getOffsetDateTime("replaced_at")).map(OffsetDateTime::toInstant)));
    });
  }

  /** Whether the account has a confirmed authenticator app (one of its second factors). */
  public Future<Boolean> has(SqlClient db, UUID user) {
    return status(db, user).map(Optional::isPresent);
  }

  /**
   * Checks a code against the user's confirmed secret and spends its time step. Fails with 400
   * {@code malformed_code}, or 401 {@code invalid_code} for a wrong, expired or already used code.
   */
  public Future<Long> use(SqlClient db, UUID user, String submitted) {
    if (SubmittedCode.normalise(submitted).isEmpty()) {
      return Future.failedFuture(malformed());
    }
    return db.preparedQuery(SECRET).execute(Tuple.of(user)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(invalidCode());
      }
      TotpCheck check = verifier.verify(open(rows.iterator().next().getString("secret"), user).bytes(), submitted);
      if (!check.accepted()) {
        return Future.failedFuture(invalidCode());
      }
      return db.preparedQuery(USE_STEP).execute(Tuple.of(user, check.step())).compose(used -> used.size() == 1
          ? Future.succeededFuture(check.step())
          : Future.failedFuture(alreadyUsed()));
    });
  }

  /**
   * A fresh secret waiting for its first code; replaces any earlier setup of this user. {@code reconfigure}:
   * the caller has proven the current factor, so confirming this setup may replace the confirmed secret.
   */
  public Future<PendingSetup> startSetup(SqlClient db, UUID user, boolean reconfigure) {
    TotpSecret secret = TotpSecret.generate();
    Instant now = clock.instant();
    Instant expires = now.plus(SETUP_LIFETIME);
    return db.preparedQuery(SAVE_SETUP)
        .execute(Tuple.of(user, seal(secret, user), utc(now), utc(expires), reconfigure))
        .map(v -> new PendingSetup(secret, expires));
  }

  /** The secret of the setup in progress, while it has not expired or been confirmed. */
  public Future<Optional<TotpSecret>> pendingSecret(SqlClient db, UUID user) {
    return db.preparedQuery(SETUP_SECRET).execute(Tuple.of(user, utc(clock.instant())))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(open(rows.iterator().next().getString("secret"), user)));
  }

  /**
   * Turns a setup into the user's secret when the code is right; the code's step becomes the last one
   * used. Run inside a transaction with whatever else the confirmation changes (recovery codes, event).
   */
  public Future<Confirmed> confirm(SqlClient tx, UUID user, String submitted) {
    if (SubmittedCode.normalise(submitted).isEmpty()) {
      return Future.failedFuture(malformed());
    }
    OffsetDateTime now = utc(clock.instant());
    return tx.preparedQuery(SETUP_SECRET).execute(Tuple.of(user, now)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(noSetup());
      }
      String sealed = rows.iterator().next().getString("secret");
      TotpCheck check = verifier.verify(open(sealed, user).bytes(), submitted);
      if (!check.accepted()) {
        return Future.failedFuture(invalidCode());
      }
      return tx.preparedQuery(TAKE_SETUP).execute(Tuple.of(user, sealed, now)).compose(taken -> {
        if (taken.size() == 0) {
          return Future.failedFuture(noSetup());
        }
        boolean proven = taken.iterator().next().getBoolean("reconfigure");
        // Only a setup started with the current factor proven replaces a secret; any other one fails
        // here and the transaction, replacement included, rolls back.
        return tx.preparedQuery(REPLACE_SECRET).execute(Tuple.of(user, sealed, check.step())).compose(replaced ->
            replaced.size() == 1
                ? proven ? Future.succeededFuture(new Confirmed(false)) : Future.failedFuture(noSetup())
                : tx.preparedQuery(INSERT_SECRET).execute(Tuple.of(user, sealed, check.step()))
                    .map(inserted -> new Confirmed(true)));
      });
    });
  }

  /** Forgets the secret and any setup in progress: part of turning 2FA off. */
  public Future<Void> delete(SqlClient tx, UUID user) {
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
  private TotpSecret open(String sealed, UUID user) {
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

  public static Problem malformed() {
    return Problem.badRequest("malformed_code", "Enter the 6-digit code from your authenticator app.")
        .with("field", "code");
  }

  static Problem invalidCode() {
    return Problem.unauthorized("invalid_code", "That code is not valid. Check your authenticator app and try again.");
  }

  /** Still {@code invalid_code}, so it counts as a failed attempt; the reason lets the page explain. */
  static Problem alreadyUsed() {
    return Problem.unauthorized("invalid_code", "That code was already used. Wait for the next code in your app.")
        .with("reason", "already_used");
  }

  static Problem noSetup() {
    return new Problem(404, "no_setup_pending", "Not found",
        "There is no two-factor setup waiting for a code, or it expired after 15 minutes. Start again.");
  }

  /** 2FA is on since {@code enabledAt}; {@code replacedAt} is the last re-configuration. */
  public record Status(Instant enabledAt, Optional<Instant> replacedAt) {
  }

  /** A new secret to show once, and when it stops being accepted. */
  public record PendingSetup(TotpSecret secret, Instant expiresAt) {
  }

  /** {@code firstTime}: 2FA was off before (recovery codes are due); otherwise the secret was replaced. */
  public record Confirmed(boolean firstTime) {
  }
}
