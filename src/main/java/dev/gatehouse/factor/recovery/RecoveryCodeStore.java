package dev.gatehouse.factor.recovery;

import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.LookupHash;
import dev.gatehouse.db.Sql;
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
public final class RecoveryCodeStore {

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
  private static final String ENROLLED = "EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = :user)";
  /**
   * Spends the code if it is unused (docs/security.md 19), as the settle statement's proof: parallel
   * attempts wait on the row lock and then find it used.
   */
  private static final String SPEND = """
      UPDATE recovery_codes SET used_at = now()
      WHERE user_id = :user AND lookup = ANY(:recovery_lookups::bytea[]) AND used_at IS NULL
      RETURNING true AS accepted""";
  /** Unused codes after the spend: the count comes from the statement's snapshot, before it, hence the subtraction. */
  private static final String REMAINING_AFTER_SPEND = """
      (SELECT count(*) FROM recovery_codes WHERE user_id = :user AND used_at IS NULL)
        - (SELECT count(*) FROM proof WHERE accepted)""";

  private final Envelope envelope;
  private final LookupHash lookup;

  public RecoveryCodeStore(Envelope envelope, LookupHash lookup) {
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

  Sql enrolled(UUID user) {
    return Sql.of(ENROLLED).bind("user", user);
  }

  /** The spend as the settle statement's proof: every key in the ring is tried, so codes from before a rotation work. */
  Sql spend(UUID user, RecoveryCode code) {
    Buffer[] candidates = lookup.underEveryKey(user.toString(), code.canonical()).stream()
        .map(Buffer::buffer).toArray(Buffer[]::new);
    return Sql.of(SPEND).bind("user", user).bind("recovery_lookups", candidates);
  }

  /** An expression for the unused codes left once the settle statement's proof has spent one. */
  Sql remainingAfterSpend(UUID user) {
    return Sql.of(REMAINING_AFTER_SPEND).bind("user", user);
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


  /** One code of the set as the owner sees it. */
  public record Listed(RecoveryCode code, boolean used) {
  }
}
