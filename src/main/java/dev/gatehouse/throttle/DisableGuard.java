package dev.gatehouse.throttle;

import dev.gatehouse.session.Sudo;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.signin.SecondFactor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * Turning 2FA off takes a code too, and so does re-configuring the app (swapping it is as good as
 * turning it off), so both draw on the same code budgets as the second sign-in step: otherwise a
 * stolen session plus the password could guess codes here without limit and strip the account of
 * its second factor. Mounted before the two-factor settings; it charges the attempt,
 * lets the route check the code, and settles by the answer (a wrong code is counted; the attempt
 * after the one that used the budget up gets 429).
 */
public final class DisableGuard implements RouteModule {

  static final String PATH = "/api/me/two-factor";
  /** Setting up while 2FA is on (re-configure); a first setup sends no code and is not charged. */
  static final String SETUP = "/api/me/two-factor/setup";

  private final CodeBudgets budgets;
  private final SecondFactor factors;
  private final List<String> trustedProxies;
  private final Clock clock;

  public DisableGuard(CodeBudgets budgets, SecondFactor factors, List<String> trustedProxies, Clock clock) {
    this.budgets = budgets;
    this.factors = factors;
    this.trustedProxies = trustedProxies;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.delete(PATH).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::charge);
    router.post(SETUP).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::charge);
  }

  private void charge(RoutingContext ctx) {
    String method = method(ctx);
    if (method == null) {
      ctx.next(); // malformed or neither field: the route answers 400, nothing to count
      return;
    }
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    budgets.begin(user, method).onSuccess(attempt -> {
      ctx.addEndHandler(done -> {
        int status = ctx.response().getStatusCode();
        if (status >= 200 && status < 300) {
          budgets.right(attempt);
        } else if (status == 401) {
          budgets.wrong(attempt, client);
        } else {
          budgets.notAGuess(attempt);
        }
      });
      ctx.next();
    }).onFailure(ctx::fail);
  }

  /** Which kind of code the body carries; null when the route will refuse its form anyway (400). */
  private String method(RoutingContext ctx) {
    JsonBody body;
    try {
      body = JsonBody.read(ctx, "code", "recoveryCode");
    } catch (RuntimeException e) {
      return null;
    }
    if (factors.malformed(body).isPresent()) {
      return null;
    }
    return body.has("code") ? CodeBudgets.TOTP : CodeBudgets.RECOVERY_CODE;
  }
}
