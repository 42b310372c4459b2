package dev.gatehouse.signin;

import dev.gatehouse.http.ClientInfo;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.UUID;

/**
 * Something that happens in the browser's session once a sign-in has completed (the password, and
 * the second step when 2FA is on), before the answer goes out: a device cookie is issued, an SSO
 * identity waiting for this account is linked. Implemented elsewhere, called by {@link SignInFlow}
 * without knowing what it does, like {@link SsoPolicy}.
 */
public interface SignInHook {

  /**
   * Never fails the sign-in: a hook handles its own failures. {@code email} is the account's, when
   * the flow already has it (null otherwise: a hook that needs it looks it up).
   */
  Future<Void> signedIn(RoutingContext ctx, UUID user, String email, ClientInfo client);

  SignInHook NONE = (ctx, user, email, client) -> Future.succeededFuture();

  /** Runs the hooks one after the other, in order. */
  static SignInHook all(List<SignInHook> hooks) {
    return (ctx, user, email, client) -> {
      Future<Void> chain = Future.succeededFuture();
      for (SignInHook hook : hooks) {
        chain = chain.compose(v -> hook.signedIn(ctx, user, email, client));
      }
      return chain;
    };
  }
}
