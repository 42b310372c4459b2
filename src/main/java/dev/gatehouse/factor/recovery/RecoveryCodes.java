package dev.gatehouse.factor.recovery;

import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.LookupHash;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A user's set of recovery codes: sealed so they can be shown again, found by a keyed HMAC of the
 * normalised code, and spent by one conditional UPDATE so each works exactly once.
 */
public final class RecoveryCodes {

  /** At or below this many unused codes, the profile suggests making a new set. */
  public static final int LOW = 3;

  private static final String INSERT = """
      INSERT INTO recovery_codes (user_id, position, code, lookup)
      SELECT $1, p, c, l FROM unnest($2::smallint[], $3::text[], $4::bytea[]) AS t(p, c, l)""";
  private static final String DELETE = "DELETE FROM recovery_codes WHERE user_id = $1";
  private static final String LIST = """
      SELECT code, used_at FROM recovery_codes WHERE user_id = $1 ORDER BY position""";
  private static final String REMAINING = """
      SELECT count(*) AS remaining FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL""";
  /**
   * Spends the code if it is unused; the count is taken from the same snapshot, before the spend,
   * hence the subtraction. Parallel attempts wait on the row lock and then find it used.
   */
  private static final String SPEND = """
      WITH spent AS (
        UPDATE recovery_codes SET used_at = now()
        WHERE user_id = $1 AND lookup = ANY($2) AND used_at IS NULL
        RETURNING id)
      SELECT (SELECT count(*) FROM spent) AS spent,
             (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)
               - (SELECT count(*) FROM spent) AS remaining""";

  private final Envelope envelope;
  private final LookupHash lookup;

  public RecoveryCodes(Envelope envelope, LookupHash lookup) {
    this.envelope = envelope;
    this.lookup = lookup;
  }

  /** A new set of codes replaces the old one entirely; run it in the caller's transaction. */
  public Future<List<RecoveryCode>> replaceSet(SqlClient tx, UUID user) {
    List<RecoveryCode> codes = RecoveryCode.generateSet();
    Short[] positions = new Short[codes.size()];
    String[] sealed = new String[codes.size()];
    Buffer[] hashes = new Buffer[codes.size()];
    for (int i = 0; i < codes.size(); i++) {
      positions[i] = (short) (i + 1);
      sealed[i] = envelope.seal(codes.get(i).canonical(), context(user));
      hashes[i] = Buffer.buffer(lookup.of(user.toString(), codes.get(i).canonical()));
    }
    return tx.preparedQuery(DELETE).execute(Tuple.of(user))
        .compose(v -> tx.preparedQuery(INSERT).execute(Tuple.tuple().addUUID(user).addArrayOfShort(positions)
            .addArrayOfString(sealed).addArrayOfBuffer(hashes)))
        .map(codes);
  }

  /**
   * Spends a code. Succeeds with the number of codes left; fails with 400 {@code malformed_recovery_code}
   * or 401 {@code invalid_code} (wrong, or already used).
   */
  public Future<Integer> spend(SqlClient db, UUID user, String submitted) {
    var code = RecoveryCode.parse(submitted);
    if (code.isEmpty()) {
      return Future.failedFuture(malformed());
    }
    // Every key in the ring is tried, so codes issued before a key rotation still work.
    Buffer[] candidates = lookup.underEveryKey(user.toString(), code.get().canonical()).stream()
        .map(Buffer::buffer).toArray(Buffer[]::new);
    // Tuple.of(user, array) would spread the array as varargs; say what each parameter is.
    return db.preparedQuery(SPEND).execute(Tuple.tuple().addUUID(user).addArrayOfBuffer(candidates)).compose(rows -> {
      Row row = rows.iterator().next();
      return row.getLong("spent") == 1
          ? Future.succeededFuture(row.getLong("remaining").intValue())
          : Future.failedFuture(invalidCode());
    });
  }

  /** The set in order, opened for showing again, with which ones are used. */
  public Future<List<Listed>> list(SqlClient db, UUID user) {
    return db.preparedQuery(LIST).execute(Tuple.of(user)).map(rows -> {
      List<Listed> out = new ArrayList<>(rows.size());
      for (Row row : rows) {
        RecoveryCode code = RecoveryCode.parse(envelope.openString(row.getString("code"), context(user)))
            .orElseThrow(() -> new IllegalStateException("a stored recovery code does not parse"));
        out.add(new Listed(code, row.getOffsetDateTime("used_at") != null));
      }
      return out;
    });
  }

  public Future<Integer> remaining(SqlClient db, UUID user) {
    return db.preparedQuery(REMAINING).execute(Tuple.of(user))
        .map(rows -> rows.iterator().next().getLong("remaining").intValue());
  }

  /** Forgets every code: part of turning 2FA off. */
  public Future<Void> delete(SqlClient tx, UUID user) {
    return tx.preparedQuery(DELETE).execute(Tuple.of(user)).mapEmpty();
  }

  private static String context(UUID user) {
    return "recovery:" + user;
  }

  public static Problem malformed() {
    return Problem.badRequest("malformed_recovery_code",
        "A recovery code has 16 letters and digits, like xxxx-xxxx-xxxx-xxxx.").with("field", "recoveryCode");
  }

  static Problem invalidCode() {
    return Problem.unauthorized("invalid_code", "That recovery code is not valid or was already used.");
  }

  /** One code of the set as the owner sees it. */
  public record Listed(RecoveryCode code, boolean used) {
  }
}
