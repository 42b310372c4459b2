package dev.gatehouse.factor;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * The one answer to "is two-factor authentication on for this account?": it is when the account has any
 * second factor (an authenticator app, a passkey). Recovery codes come with the first second factor and go
 * with the last, so they are no factor of their own here. A new factor is one more entry in the list.
 */
public final class EnabledFactors {

  /** Security events: two-factor authentication turned on by the first second factor, off with the last. */
  public static final String TURNED_ON = "two_factor.enabled";
  public static final String TURNED_OFF = "two_factor.disabled";

  /** One second factor: its method name and whether an account has it, asked on the caller's connection. */
  public record Factor(String method, BiFunction<SqlClient, UUID, Future<Boolean>> has) {
  }

  /**
   * Serialises changes to one account's second factors until the transaction ends, so that two changes in
   * parallel cannot each count on the other's factor remaining (the first factor, the last one).
   */
  private static final String LOCK = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
  /** The advisory lock space of factor changes (the first key of the two-key form). */
  private static final int LOCK_SPACE = 0x32464101;

  private final List<Factor> factors;

  public EnabledFactors(List<Factor> factors) {
    this.factors = List.copyOf(factors);
  }

  /** The second factors the account has, by method name, in the order they were listed. */
  public Future<List<String>> methods(SqlClient db, UUID user) {
    Future<List<String>> chain = Future.succeededFuture(new ArrayList<>());
    for (Factor factor : factors) {
      chain = chain.compose(found -> factor.has().apply(db, user).map(has -> {
        if (has) {
          found.add(factor.method());
        }
        return found;
      }));
    }
    return chain.map(List::copyOf);
  }

  /** True when two-factor authentication is on: the account has at least one second factor. */
  public Future<Boolean> any(SqlClient db, UUID user) {
    return methods(db, user).map(methods -> !methods.isEmpty());
  }

  /** Run first in a transaction that adds or removes a second factor. */
  public Future<Void> lock(SqlClient tx, UUID user) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(LOCK_SPACE, user.toString())).mapEmpty();
  }
}
