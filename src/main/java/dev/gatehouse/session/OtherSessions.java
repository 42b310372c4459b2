package dev.gatehouse.session;

import dev.gatehouse.http.Csrf;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;

/**
 * A credential changed (2FA on, off or re-configured, new recovery codes, a new password): every
 * other session of the account ends and this one continues under a new id (docs/security.md 32).
 */
public final class OtherSessions {

  private OtherSessions() {
  }

  /**
   * Ends the signed-in account's other sessions (signed in or half way through signing in) and moves
   * the asking session to a new id, with the CSRF token that follows it; one statement, in the
   * caller's transaction, so it stands or falls with the change. Answers how many ended. Only behind
   * {@link SessionUser#required}.
   */
  public static Future<Integer> end(SqlClient db, RoutingContext ctx) {
    if (!(SessionUser.live(ctx) instanceof StoredSession session)) {
      return Future.failedFuture(Problem.notSignedIn());
    }
    String current = session.storedId();
    session.regenerateId();
    return PostgresSessionStore.endOthersAndRekey(db, SessionUser.id(ctx), current, session.id()).map(ended -> {
      session.rekeyed();
      Csrf.rotate(ctx);
      SessionUser.countEnded(ctx, "credential_changed", ended);
      return ended;
    });
  }

  /**
   * At a sign-in that links a credential (an SSO identity to the account that just proved itself):
   * every other session of the account ends, in the caller's transaction. This one was given a new
   * id by the sign-in itself and is kept. Answers how many ended.
   */
  public static Future<Integer> endAtSignIn(SqlClient db, RoutingContext ctx, java.util.UUID user) {
    String kept = SessionUser.live(ctx) instanceof StoredSession session && session.stored() ? session.storedId() : null;
    return PostgresSessionStore.endAllBut(db, user, kept)
        .onSuccess(ended -> SessionUser.countEnded(ctx, "identity_linked", ended));
  }
}
