package dev.gatehouse.factor.passkey;

import dev.gatehouse.db.Sql;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Every statement on the passkey tables (V70): the account's user handle, its registered passkeys, the
 * challenges of ceremonies in progress and the sign-in challenges already used. Each method runs on the
 * {@link SqlClient} it is given, so a caller can make it part of its transaction; the fragments join the
 * attempt service's two statements and the sign-in without a password.
 */
public final class PasskeyStore {

  /** Challenges one account may have waiting per purpose; a new one pushes out the oldest. */
  static final int OUTSTANDING_CHALLENGES = 5;
  static final int HANDLE_BYTES = 32;

  /** Makes the handle the first time and returns the existing one ever after, even when two race. */
  private static final String USER_HANDLE = """
      INSERT INTO passkey_user_handles (user_id, handle) VALUES ($1, $2)
      ON CONFLICT (user_id) DO UPDATE SET handle = passkey_user_handles.handle
      RETURNING handle""";
  /**
   * Saves a challenge and drops this account's older ones of the same purpose beyond the newest few, so
   * a session cannot pile up rows. (The DELETE does not see the row inserted beside it.)
   */
  private static final String SAVE_CHALLENGE = """
      WITH saved AS (
        INSERT INTO passkey_challenges (challenge, purpose, user_id, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5))
      DELETE FROM passkey_challenges WHERE challenge IN (
        SELECT challenge FROM passkey_challenges WHERE user_id = $3 AND purpose = $2
        ORDER BY created_at DESC OFFSET $6)""";
  /** Single use: whoever deletes the row has the challenge; a replay, however fast, finds nothing. */
  private static final String TAKE_CHALLENGE = """
      DELETE FROM passkey_challenges
      WHERE challenge = $1 AND purpose = $2 AND user_id = $3 AND expires_at > $4
      RETURNING challenge""";
  private static final String PRUNE_CHALLENGES = """
      WITH waiting AS (
        DELETE FROM passkey_challenges WHERE challenge IN (
          SELECT challenge FROM passkey_challenges WHERE expires_at <= $1 LIMIT 10000 FOR UPDATE SKIP LOCKED)
        RETURNING 1),
      used AS (
        DELETE FROM passkey_used_sign_in_challenges WHERE challenge IN (
          SELECT challenge FROM passkey_used_sign_in_challenges WHERE expires_at <= $1 LIMIT 10000
          FOR UPDATE SKIP LOCKED)
        RETURNING 1)
      SELECT (SELECT count(*) FROM waiting) + (SELECT count(*) FROM used) AS pruned""";
  private static final String DESCRIPTORS = """
      SELECT credential_id, transports FROM passkey_credentials WHERE user_id = $1 ORDER BY created_at""";
  private static final String INSERT = """
      INSERT INTO passkey_credentials
        (user_id, credential_id, public_key, sign_count, name, aaguid, transports, backup_eligible, backed_up)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      RETURNING id, name, aaguid, backup_eligible, backed_up, created_at, last_used_at""";
  private static final String LIST = """
      SELECT id, name, aaguid, backup_eligible, backed_up, created_at, last_used_at
      FROM passkey_credentials WHERE user_id = $1 ORDER BY created_at, id""";
  /** The passkey with this credential id, whoever owns it, and whether the sign-in challenge was used already. */
  private static final String FOR_SIGN_IN = """
      SELECT EXISTS (SELECT 1 FROM passkey_used_sign_in_challenges WHERE challenge = $2) AS used,
             c.id, c.user_id, c.name, c.public_key, c.sign_count, c.aaguid, c.backup_eligible, h.handle
      FROM (SELECT 1) AS one
      LEFT JOIN passkey_credentials AS c ON c.credential_id = $1
      LEFT JOIN passkey_user_handles AS h ON h.user_id = c.user_id""";
  private static final String RENAME = """
      UPDATE passkey_credentials SET name = $3 WHERE user_id = $1 AND id = $2
      RETURNING id, name, aaguid, backup_eligible, backed_up, created_at, last_used_at""";
  /** Serialises changes to one account's passkeys, so two removals cannot each count on the other's passkey. */
  private static final String DELETE = """
      DELETE FROM passkey_credentials WHERE user_id = $1 AND id = $2 RETURNING name""";
  private static final String DELETE_ALL = """
      WITH credentials AS (DELETE FROM passkey_credentials WHERE user_id = $1)
      DELETE FROM passkey_challenges WHERE user_id = $1""";

  private static final String ENROLLED = "EXISTS (SELECT 1 FROM passkey_credentials WHERE user_id = :user)";
  /**
   * What the second step's check needs, read in the statement that charges the budget: whether the
   * challenge is still waiting for this account, and the account's passkey with this credential id (none
   * for another account's).
   */
  private static final String READ = """
      SELECT EXISTS (SELECT 1 FROM passkey_challenges WHERE challenge = :passkey_challenge AND purpose = 'assertion'
                       AND user_id = :user AND expires_at > :passkey_now::timestamptz) AS passkey_challenge_waiting,
             c.id AS passkey_id, c.name AS passkey_name, c.public_key AS passkey_public_key,
             c.sign_count AS passkey_sign_count, c.aaguid AS passkey_aaguid,
             c.backup_eligible AS passkey_backup_eligible, h.handle AS passkey_user_handle
      FROM (SELECT 1) AS one
      LEFT JOIN passkey_credentials AS c ON c.credential_id = :passkey_credential AND c.user_id = :user
      LEFT JOIN passkey_user_handles AS h ON h.user_id = c.user_id""";
  /** A CTE: the challenge is spent by the statement that settles its answer, whatever the answer. */
  private static final String TAKE = """
      passkey_challenge AS (
        DELETE FROM passkey_challenges WHERE challenge = :passkey_challenge AND purpose = 'assertion'
          AND user_id = :user AND expires_at > :passkey_now::timestamptz
        RETURNING challenge)""";
  /** A CTE: a sign-in challenge is remembered as used until it expires; a second use finds it there. */
  private static final String USE_SIGN_IN_CHALLENGE = """
      passkey_challenge AS (
        INSERT INTO passkey_used_sign_in_challenges (challenge, expires_at)
        VALUES (:passkey_challenge, :passkey_challenge_expires::timestamptz)
        ON CONFLICT (challenge) DO NOTHING
        RETURNING challenge)""";
  /**
   * The counter guard, once the challenge is ours: only a higher signature count is accepted (an
   * authenticator without a counter always sends 0 and never had a higher one), so two assertions racing
   * with one count give one success (docs/security.md 46).
   */
  private static final String RECORD_USE = """
      UPDATE passkey_credentials SET sign_count = :passkey_count::bigint, backed_up = :passkey_backed_up::boolean,
             last_used_at = :passkey_now::timestamptz
      WHERE id = :passkey_id AND EXISTS (SELECT 1 FROM passkey_challenge)
        AND (sign_count < :passkey_count::bigint OR (sign_count = 0 AND :passkey_count::bigint = 0))
      RETURNING user_id, true AS accepted""";

  private final SecureRandom random = new SecureRandom();

  /** The account's user handle, made on first use; in a transaction it also holds the account's passkeys still. */
  public Future<byte[]> userHandle(SqlClient db, UUID user) {
    byte[] fresh = new byte[HANDLE_BYTES];
    random.nextBytes(fresh);
    return db.preparedQuery(USER_HANDLE).execute(Tuple.of(user, Buffer.buffer(fresh)))
        .map(rows -> rows.iterator().next().getBuffer("handle").getBytes());
  }

  public Future<Void> saveChallenge(SqlClient db, byte[] challenge, String purpose, UUID user, Instant now,
                                    Instant expires) {
    return db.preparedQuery(SAVE_CHALLENGE)
        .execute(Tuple.of(Buffer.buffer(challenge), purpose, user, utc(now), utc(expires), OUTSTANDING_CHALLENGES - 1))
        .mapEmpty();
  }

  /** True when the challenge was waiting for this purpose and account, unexpired; it is gone now. */
  public Future<Boolean> takeChallenge(SqlClient db, byte[] challenge, String purpose, UUID user, Instant now) {
    return db.preparedQuery(TAKE_CHALLENGE).execute(Tuple.of(Buffer.buffer(challenge), purpose, user, utc(now)))
        .map(rows -> rows.size() == 1);
  }

  /** Forgets expired challenges, waiting and used; answers how many. */
  public Future<Long> pruneChallenges(SqlClient db, Instant now) {
    return db.preparedQuery(PRUNE_CHALLENGES).execute(Tuple.of(utc(now)))
        .map(rows -> rows.iterator().next().getLong("pruned"));
  }

  /** The account's credential ids with their transports: what the browser may use, or must not register twice. */
  public Future<List<Descriptor>> descriptors(SqlClient db, UUID user) {
    return db.preparedQuery(DESCRIPTORS).execute(Tuple.of(user)).map(rows -> {
      List<Descriptor> out = new ArrayList<>(rows.size());
      for (Row row : rows) {
        out.add(new Descriptor(row.getBuffer("credential_id").getBytes(), List.of(row.getArrayOfStrings("transports"))));
      }
      return out;
    });
  }

  /** Stores a verified new passkey; fails with a unique violation when its credential id is registered already. */
  public Future<Passkey> insert(SqlClient db, UUID user, NewCredential credential) {
    return db.preparedQuery(INSERT).execute(Tuple.tuple()
            .addUUID(user)
            .addBuffer(Buffer.buffer(credential.credentialId()))
            .addBuffer(Buffer.buffer(credential.publicKey()))
            .addLong(credential.signCount())
            .addString(credential.name())
            .addUUID(credential.aaguid())
            .addArrayOfString(credential.transports().toArray(String[]::new))
            .addBoolean(credential.backupEligible())
            .addBoolean(credential.backedUp()))
        .map(rows -> passkey(rows.iterator().next()));
  }

  public Future<List<Passkey>> list(SqlClient db, UUID user) {
    return db.preparedQuery(LIST).execute(Tuple.of(user)).map(rows -> {
      List<Passkey> out = new ArrayList<>(rows.size());
      rows.forEach(row -> out.add(passkey(row)));
      return out;
    });
  }

  /**
   * For a sign-in without a password: the passkey with this credential id, whoever owns it, with its owner's
   * user handle, and whether {@code challenge} has signed someone in already.
   */
  public Future<SignInRead> forSignIn(SqlClient db, byte[] credentialId, byte[] challenge) {
    return db.preparedQuery(FOR_SIGN_IN).execute(Tuple.of(Buffer.buffer(credentialId), Buffer.buffer(challenge)))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new SignInRead(row.getUUID("id") == null ? Optional.empty() : Optional.of(stored(row, credentialId)),
              row.getBoolean("used"));
        });
  }

  public Future<Optional<Passkey>> rename(SqlClient db, UUID user, UUID id, String name) {
    return db.preparedQuery(RENAME).execute(Tuple.of(user, id, name))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(passkey(rows.iterator().next())));
  }

  /** Removes one of the account's passkeys; answers its name, or empty when it has none by that id. */
  public Future<Optional<String>> delete(SqlClient db, UUID user, UUID id) {
    return db.preparedQuery(DELETE).execute(Tuple.of(user, id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString("name")));
  }

  /** Forgets every passkey of the account and its waiting challenges (2FA turned off); the handle stays. */
  Future<Void> deleteAll(SqlClient tx, UUID user) {
    return tx.preparedQuery(DELETE_ALL).execute(Tuple.of(user)).mapEmpty();
  }

  /** Whether the user has a passkey, as a SQL boolean over {@code :user}. */
  Sql enrolled(UUID user) {
    return Sql.of(ENROLLED).bind("user", user);
  }

  /** The read of the second step (columns {@code passkey_*}). */
  Sql read(UUID user, byte[] credentialId, byte[] challenge, Instant now) {
    return Sql.of(READ).bind("user", user).bind("passkey_credential", Buffer.buffer(credentialId))
        .bind("passkey_challenge", Buffer.buffer(challenge)).bind("passkey_now", utc(now));
  }

  /** The passkey of {@code user} that {@link #read} found, or empty. */
  static Optional<Stored> found(Row row, UUID user, byte[] credentialId) {
    if (row == null || row.getUUID("passkey_id") == null) {
      return Optional.empty();
    }
    return Optional.of(new Stored(row.getUUID("passkey_id"), user, row.getString("passkey_name"), credentialId,
        row.getBuffer("passkey_public_key").getBytes(), row.getLong("passkey_sign_count"),
        row.getUUID("passkey_aaguid"), row.getBoolean("passkey_backup_eligible"),
        row.getBuffer("passkey_user_handle").getBytes()));
  }

  /** The CTE {@code passkey_challenge}: the account's waiting challenge, taken. */
  Sql take(UUID user, byte[] challenge, Instant now) {
    return Sql.of(TAKE).bind("user", user).bind("passkey_challenge", Buffer.buffer(challenge))
        .bind("passkey_now", utc(now));
  }

  /** The CTE {@code passkey_challenge}: a sign-in challenge written down as used until it expires. */
  Sql useSignInChallenge(byte[] challenge, Instant expires) {
    return Sql.of(USE_SIGN_IN_CHALLENGE).bind("passkey_challenge", Buffer.buffer(challenge))
        .bind("passkey_challenge_expires", utc(expires));
  }

  /**
   * The counter moved on and the last use noted, when {@code passkey_challenge} holds the challenge: a
   * SELECT-able UPDATE returning {@code user_id, accepted}, or nothing.
   */
  Sql recordUse(UUID passkey, PasskeyCeremony.Used used, Instant now) {
    return Sql.of(RECORD_USE).bind("passkey_id", passkey).bind("passkey_count", used.signCount())
        .bind("passkey_backed_up", used.backedUp()).bind("passkey_now", utc(now));
  }

  private static Stored stored(Row row, byte[] credentialId) {
    return new Stored(row.getUUID("id"), row.getUUID("user_id"), row.getString("name"), credentialId,
        row.getBuffer("public_key").getBytes(), row.getLong("sign_count"), row.getUUID("aaguid"),
        row.getBoolean("backup_eligible"), row.getBuffer("handle").getBytes());
  }

  private static Passkey passkey(Row row) {
    OffsetDateTime used = row.getOffsetDateTime("last_used_at");
    return new Passkey(row.getUUID("id"), row.getString("name"), row.getUUID("aaguid"),
        row.getBoolean("backup_eligible"), row.getBoolean("backed_up"),
        row.getOffsetDateTime("created_at").toInstant(), used == null ? null : used.toInstant());
  }

  static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  /** What a sign-in without a password reads first. */
  public record SignInRead(Optional<Stored> passkey, boolean challengeUsed) {
  }

  /** A credential id the browser is told about, with how it can reach the authenticator. */
  public record Descriptor(byte[] credentialId, List<String> transports) {
  }

  /** A verified registration, ready to store. */
  public record NewCredential(byte[] credentialId, byte[] publicKey, long signCount, String name, UUID aaguid,
                              List<String> transports, boolean backupEligible, boolean backedUp) {

    NewCredential withName(String newName) {
      return new NewCredential(credentialId, publicKey, signCount, newName, aaguid, transports, backupEligible, backedUp);
    }
  }

  /** What an assertion is checked against: a passkey, its owner and the owner's user handle. */
  public record Stored(UUID id, UUID user, String name, byte[] credentialId, byte[] publicKey, long signCount,
                       UUID aaguid, boolean backupEligible, byte[] userHandle) {

    boolean ownedBy(byte[] handle) {
      return Arrays.equals(userHandle, handle);
    }
  }
}
