package dev.gatehouse.factor.passkey;

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
 * Every statement on the passkey tables (V70): the account's user handle, its registered passkeys and
 * the challenges of ceremonies in progress. Each method runs on the {@link SqlClient} it is given, so a
 * caller can make it part of its transaction.
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
   * a signed-in session cannot pile up rows. (The DELETE does not see the row inserted beside it.)
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
      WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3 AND expires_at > $4
      RETURNING challenge""";
  private static final String PRUNE_CHALLENGES = """
      DELETE FROM passkey_challenges WHERE challenge IN (
        SELECT challenge FROM passkey_challenges WHERE expires_at <= $1 LIMIT 10000 FOR UPDATE SKIP LOCKED)""";
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
  private static final String BY_CREDENTIAL_ID = """
      SELECT c.id, c.user_id, c.public_key, c.sign_count, c.aaguid, c.backup_eligible, h.handle
      FROM passkey_credentials c JOIN passkey_user_handles h ON h.user_id = c.user_id
      WHERE c.credential_id = $1""";
  /**
   * The counter guard: only a higher signature count is accepted (an authenticator without a counter
   * always sends 0 and never had a higher one), so two assertions racing with one count give one success.
   */
  private static final String RECORD_USE = """
      UPDATE passkey_credentials SET sign_count = $2, backed_up = $3, last_used_at = $4
      WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))
      RETURNING id""";
  private static final String RENAME = """
      UPDATE passkey_credentials SET name = $3 WHERE user_id = $1 AND id = $2
      RETURNING id, name, aaguid, backup_eligible, backed_up, created_at, last_used_at""";
  private static final String DELETE = """
      DELETE FROM passkey_credentials WHERE user_id = $1 AND id = $2 RETURNING name""";
  private static final String HAS = "SELECT 1 FROM passkey_credentials WHERE user_id = $1 LIMIT 1";

  private final SecureRandom random = new SecureRandom();

  /** The account's user handle, made on first use. */
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

  /** True when the challenge was waiting for this purpose and account (or none), unexpired; it is gone now. */
  public Future<Boolean> takeChallenge(SqlClient db, byte[] challenge, String purpose, UUID user, Instant now) {
    return db.preparedQuery(TAKE_CHALLENGE).execute(Tuple.of(Buffer.buffer(challenge), purpose, user, utc(now)))
        .map(rows -> rows.size() == 1);
  }

  /** Forgets expired challenges; answers how many. */
  public Future<Integer> pruneChallenges(SqlClient db, Instant now) {
    return db.preparedQuery(PRUNE_CHALLENGES).execute(Tuple.of(utc(now))).map(rows -> rows.rowCount());
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

  /** The passkey with this credential id, whoever owns it, with its owner's user handle. */
  public Future<Optional<Stored>> byCredentialId(SqlClient db, byte[] credentialId) {
    return db.preparedQuery(BY_CREDENTIAL_ID).execute(Tuple.of(Buffer.buffer(credentialId))).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new Stored(row.getUUID("id"), row.getUUID("user_id"), credentialId,
          row.getBuffer("public_key").getBytes(), row.getLong("sign_count"), row.getUUID("aaguid"),
          row.getBoolean("backup_eligible"), row.getBuffer("handle").getBytes()));
    });
  }

  /** Moves the counter on after a verified assertion; false when another use got there first (or it went back). */
  public Future<Boolean> recordUse(SqlClient db, UUID id, long signCount, boolean backedUp, Instant now) {
    return db.preparedQuery(RECORD_USE).execute(Tuple.of(id, signCount, backedUp, utc(now)))
        .map(rows -> rows.size() == 1);
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

  public Future<Boolean> has(SqlClient db, UUID user) {
    return db.preparedQuery(HAS).execute(Tuple.of(user)).map(rows -> rows.size() > 0);
  }

  private static Passkey passkey(Row row) {
    OffsetDateTime used = row.getOffsetDateTime("last_used_at");
    return new Passkey(row.getUUID("id"), row.getString("name"), row.getUUID("aaguid"),
        row.getBoolean("backup_eligible"), row.getBoolean("backed_up"),
        row.getOffsetDateTime("created_at").toInstant(), used == null ? null : used.toInstant());
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
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

  /** What an assertion is checked against. */
  public record Stored(UUID id, UUID user, byte[] credentialId, byte[] publicKey, long signCount, UUID aaguid,
                       boolean backupEligible, byte[] userHandle) {

    boolean ownedBy(byte[] handle) {
      return Arrays.equals(userHandle, handle);
    }
  }
}
