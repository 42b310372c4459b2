package dev.gatehouse.factor;

import dev.gatehouse.db.Sql;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.throttle.AttemptBudget;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Every second factor the server offers, in the order the sign-in page lists them. It reads
 * proofs from request bodies (exactly one factor's member, parsed once) and tells which factors a
 * user can give right now.
 */
public final class Factors {

  private final List<Factor<?>> all;
  private final List<String> fields;
  /** The budget that locks a factor after wrong proofs in a row (the TOTP lock). */
  private final AttemptBudget inARow;

  public Factors(List<Factor<?>> factors, AttemptBudget inARow) {
    this.all = List.copyOf(factors);
    this.fields = all.stream().map(Factor::field).toList();
    this.inARow = inARow;
  }

  public List<Factor<?>> all() {
    return all;
  }

  /** The body members that carry a proof, one per factor. */
  public List<String> fields() {
    return fields;
  }

  /** The one proof the body carries: 400 when it names none or several, or when the proof is malformed. */
  public Proof<?> parse(JsonBody body) {
    return parseIfAny(body).orElseThrow(this::exactlyOne);
  }

  /** The proof the body carries, if any: 400 when it names several, or when the proof is malformed. */
  public Optional<Proof<?>> parseIfAny(JsonBody body) {
    List<Factor<?>> named = all.stream().filter(f -> body.has(f.field())).toList();
    if (named.size() > 1) {
      throw exactlyOne();
    }
    return named.isEmpty() ? Optional.empty() : Optional.of(proof(named.get(0), body));
  }

  private static <P> Proof<P> proof(Factor<P> factor, JsonBody body) {
    return new Proof<>(factor, factor.parse(body.json().getValue(factor.field())));
  }

  private Problem exactlyOne() {
    return Problem.badRequest("invalid_field", "Send exactly one of: " + String.join(", ", fields) + ".")
        .with("allowed", fields);
  }

  /**
   * What the user can give right now, in one statement: the factors they have, less a factor
   * locked by wrong proofs in a row (the sign-in page then offers the recovery code).
   */
  public Future<Methods> of(SqlClient db, UUID user) {
    List<Sql> columns = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      columns.add(all.get(i).enrolled(user).wrap("(%s) AS f" + i));
    }
    columns.add(inARow.blockedFragment(user.toString(), inARow.now()).wrap("EXISTS (%s) AS locked"));
    return Sql.join(", ", columns).wrap("SELECT %s").execute(db).map(rows -> {
      Row row = rows.iterator().next();
      boolean locked = row.getBoolean("locked");
      List<String> usable = new ArrayList<>();
      boolean on = false;
      for (int i = 0; i < all.size(); i++) {
        Factor<?> factor = all.get(i);
        if (row.getBoolean("f" + i)) {
          on |= !factor.backup();
          if (!(locked && factor.locksAfterWrongInARow())) {
            usable.add(factor.method());
          }
        }
      }
      return new Methods(on, on ? List.copyOf(usable) : List.of());
    });
  }

  /**
   * {@code twoFactorOn}: the user has a factor that is not only a backup. {@code usable}: the methods
   * they can give now (empty when 2FA is off: leftover backup codes alone ask for nothing).
   */
  public record Methods(boolean twoFactorOn, List<String> usable) {
  }
}
