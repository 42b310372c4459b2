package dev.gatehouse.load;

import dev.gatehouse.load.LoadClient.Answer;
import dev.gatehouse.load.LoadClient.Browser;
import dev.gatehouse.load.SeedUsers.SeededUser;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The Gatling simulation's journey (src/gatling/java/…/LoginSimulation.java) on the load tools'
 * client, for where Gatling cannot run (inside ./mvnw verify) or where each request must be kept:
 * a fresh browser fetches the page (the XSRF-TOKEN cookie), posts the password step with the token
 * echoed, and for a user with TOTP posts the second step with the code computed when it is sent.
 * Users come from a {@link UserCycle}, so none signs in twice within one 30 s step (its code would be
 * refused as replayed). Every request is recorded with its timing, its status and the node nginx
 * names in {@code X-Gatehouse-Upstream}.
 */
public final class LoginJourney {

  /** One request as the client saw it; status 0 when no answer came (the error says what happened). */
  public record Request(int journey, String name, long sentNanos, long doneNanos, int status, String upstream,
                        String error) {
    public boolean failed(int expected) {
      return status != expected;
    }
  }

  /** A finished journey: its browser (cookies) and whether it ended signed in. */
  public record Done(int journey, SeededUser user, Browser browser, boolean signedIn) {
  }

  public final Queue<Request> requests = new ConcurrentLinkedQueue<>();
  public final Queue<Done> done = new ConcurrentLinkedQueue<>();
  private final LoadClient client;
  private final UserCycle users;

  public LoginJourney(LoadClient client, List<SeededUser> users) {
    this(client, new UserCycle(users));
  }

  /** Journeys that share their users with others (no user signs in twice in a step across all of them). */
  LoginJourney(LoadClient client, UserCycle users) {
    this.client = client;
    this.users = users;
  }

  /** Journey {@code i}; answers 200 when it ended signed in, else the first status that was not expected (0: no answer). */
  public Future<Integer> run(int i) {
    int index = users.reserve();
    if (index < 0) {
      return Future.failedFuture(new IllegalStateException("no user free in this 30 s step: seed more"));
    }
    SeededUser user = users.user(index);
    Browser browser = new Browser();
    return send(i, "page", browser, null, null).compose(page -> {
      if (page.status() != 200) {
        users.release(index);
        return Future.succeededFuture(page.status());
      }
      return send(i, "password step", browser, "/api/session",
          new JsonObject().put("email", user.email()).put("password", user.password())).compose(password -> {
        if (password.status() != 200) {
          users.release(index);
          return Future.succeededFuture(password.status());
        }
        if (!"two_factor_required".equals(password.json().getString("state"))) {
          users.release(index);
          done.add(new Done(i, user, browser, true));
          return Future.succeededFuture(200);
        }
        long step = users.use(index);
        String code = LoadTotp.code(LoadTotp.decode(user.totpSecret()), step);
        return send(i, "second step", browser, "/api/session/two-factor", new JsonObject().put("code", code))
            .map(second -> {
              done.add(new Done(i, user, browser, second.status() == 200));
              return second.status();
            });
      });
    });
  }

  private Future<Answer> send(int i, String name, Browser browser, String path, JsonObject body) {
    long sent = System.nanoTime();
    Future<Answer> answer = path == null ? client.get(browser, "/") : client.post(browser, path, body);
    return answer.andThen(ar -> requests.add(ar.succeeded()
        ? new Request(i, name, sent, System.nanoTime(), ar.result().status(), ar.result().upstream(), null)
        : new Request(i, name, sent, System.nanoTime(), 0, null, String.valueOf(ar.cause()))))
        .recover(err -> Future.succeededFuture(new Answer(0, null, null, null)));
  }
}
