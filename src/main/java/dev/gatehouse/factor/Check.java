package dev.gatehouse.factor;

import dev.gatehouse.db.Sql;
import dev.gatehouse.http.Problem;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.util.List;

/**
 * What a factor concluded about a proof, and what the settle statement must do about it. The
 * statement is {@code WITH proof AS (…), ok AS (…) …}: {@link #proof} returns a row with
 * {@code accepted = true} exactly when the proof is good (a conditional UPDATE that spends it, so
 * a replay or a parallel twin finds nothing), and may change things even when it refuses (a
 * disclosed future code is spent). {@link #events} and {@link #columns} may read {@code proof}
 * and {@code ok (accepted)}, and the CTEs of {@link #before}.
 */
public interface Check {

  /** The body of the {@code proof} CTE: rows with a boolean column {@code accepted}. */
  Sql proof();

  /**
   * CTEs the statement runs ahead of {@code proof} ({@code "name AS (…)"}), which {@code proof} may
   * read: a passkey's challenge is taken here, so it is spent whatever the outcome. None by default.
   */
  default List<Sql> before() {
    return List.of();
  }

  /** The factor's own security events: SELECTs of {@code (ord, type, details)}; ord below 10 comes first. */
  default List<Sql> events() {
    return List.of();
  }

  /** Extra columns of the statement's result, e.g. {@code "… AS remaining"}; empty for none. */
  default Sql columns() {
    return Sql.of("");
  }

  /** Members of the answer when the proof was accepted, read from the result row. */
  default JsonObject accepted(Row row) {
    return new JsonObject();
  }

  /** The answer when it was not: 401 {@code invalid_code} (counted), with what the person may be told. */
  Problem refused(Row row);

  /** A proof refused outright (nothing to spend), answered with {@code refusal}. */
  static Check refusedWith(Problem refusal) {
    return of(Sql.of("SELECT false AS accepted WHERE false"), refusal);
  }

  /** A check whose settle runs {@code proof}, answered with {@code refusal} when that accepts nothing. */
  static Check of(Sql proof, Problem refusal) {
    return new Check() {
      @Override
      public Sql proof() {
        return proof;
      }

      @Override
      public Problem refused(Row row) {
        return refusal;
      }
    };
  }
}
