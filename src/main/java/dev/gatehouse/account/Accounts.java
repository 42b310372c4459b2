package dev.gatehouse.account;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** The users table: every query about accounts sits here, and nothing else writes it. */
public final class Accounts {

  private static final Pattern EMAIL = Pattern.compile("^[^@\\s\\p{Cntrl}]{1,64}@[^@\\s\\p{Cntrl}]+\\.[^@\\s\\p{Cntrl}]+$");
  public static final int MAX_EMAIL = 254;

  private static final String INSERT = """
      INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
      RETURNING id, email, name, password_hash, created_at""";
  /** An account whose only way in is its organisation's provider (SSO); empty result when the email is taken. */
  private static final String INSERT_WITHOUT_PASSWORD = """
      INSERT INTO users (email, name, password_hash) VALUES ($1, $2, NULL)
      ON CONFLICT (email) DO NOTHING RETURNING id, email, name, password_hash, created_at""";
  private static final String BY_EMAIL = "SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1";
  private static final String BY_ID = "SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1";
  private static final String UPDATE_HASH = "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1";
  // Only over the hash the change was checked against: of two changes at once, one wins.
  private static final String CHANGE_PASSWORD = """
      UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2""";

  // Changes of an account's second factors take turns on the account's row (docs/security.md 50).
  private static final String LOCK = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";

  private final Pool pool;

  /**
   * In the caller's transaction, before it reads anything about the account's second factors: holds
   * the account's row until the transaction ends, so that two factor changes of one account (a passkey
   * and an authenticator app confirmed at once, a removal beside an addition) take turns, and the
   * second reads what the first committed. Without it both could see 2FA off and both hand out a set
   * of recovery codes, the second replacing the first the person was shown.
   */
  public static Future<Void> lockForFactorChange(SqlClient tx, UUID user) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(user)).mapEmpty();
  }

  public Accounts(Pool pool) {
    this.pool = pool;
  }

  /** Trimmed and lower-cased, or empty when it is not an email address at all. */
  public static Optional<String> normaliseEmail(String input) {
    if (input == null) {
      return Optional.empty();
    }
    String email = input.strip().toLowerCase(Locale.ROOT);
    if (email.length() > MAX_EMAIL || !EMAIL.matcher(email).matches()) {
      return Optional.empty();
    }
    return Optional.of(email);
  }

  public Future<Account> create(String email, String name, String passwordHash) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(email, name, passwordHash)).map(rows -> Account.from(rows.iterator().next()));
  }

  /**
   * Creates an account without a password (made by an SSO sign-in), on {@code db} so that it joins
   * the caller's transaction; empty when the email already belongs to an account.
   */
  public Future<Optional<Account>> createWithoutPassword(SqlClient db, String email, String name) {
    return db.preparedQuery(INSERT_WITHOUT_PASSWORD).execute(Tuple.of(email, name)).map(Accounts::first);
  }

  public Future<Optional<Account>> byEmail(String email) {
    return byEmail(pool, email);
  }

  public Future<Optional<Account>> byEmail(SqlClient db, String email) {
    return db.preparedQuery(BY_EMAIL).execute(Tuple.of(email)).map(Accounts::first);
  }

  public Future<Optional<Account>> byId(UUID id) {
    return pool.preparedQuery(BY_ID).execute(Tuple.of(id)).map(Accounts::first);
  }

  public Future<Void> updatePasswordHash(UUID id, String hash) {
    return pool.preparedQuery(UPDATE_HASH).execute(Tuple.of(id, hash)).mapEmpty();
  }

  /** Replaces the password hash if it is still {@code oldHash}, in the caller's transaction; false if it changed meanwhile. */
  public Future<Boolean> changePassword(SqlClient db, UUID id, String oldHash, String newHash) {
    return db.preparedQuery(CHANGE_PASSWORD).execute(Tuple.of(id, oldHash, newHash)).map(rows -> rows.rowCount() == 1);
  }

  private static Optional<Account> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(Account.from(rows.iterator().next()));
  }
}
