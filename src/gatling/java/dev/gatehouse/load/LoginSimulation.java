package dev.gatehouse.load;

import io.gatling.javaapi.core.FeederBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.csv;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.CookieKey;
import static io.gatling.javaapi.http.HttpDsl.getCookieValue;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Sign-in as a browser does it, in Gatling's open model (new users arrive at a rate, whatever the
 * server's answers): fetch the page (the XSRF-TOKEN cookie), the password step with the
 * token echoed in X-XSRF-TOKEN, then — for users with TOTP on — the second step with the code
 * computed at the moment it is sent from the user's secret.
 *
 * <p>System properties: {@code base} (http://127.0.0.1:8080), {@code users} (the CSV from
 * bench/seed-users.sh, target/load/users.csv), {@code rate} (sign-ins per second, 5), {@code ramp}
 * (seconds from 1/s to the rate, 10), {@code duration} (seconds at the rate, 60), {@code overload}
 * (false; true accepts 503 + Retry-After from a saturated password step and 429 from budgets:
 * run past saturation on purpose).
 */
public class LoginSimulation extends Simulation {

  private static final String BASE = System.getProperty("base", "http://127.0.0.1:8080");
  private static final String USERS = System.getProperty("users", "target/load/users.csv");
  private static final double RATE = Double.parseDouble(System.getProperty("rate", "5"));
  private static final int RAMP = Integer.getInteger("ramp", 10);
  private static final int DURATION = Integer.getInteger("duration", 60);
  private static final boolean OVERLOAD = Boolean.getBoolean("overload");

  /** A TOTP code is single-use: each user may sign in once per 30 s step, so the feeder must be long enough. */
  private static final long USERS_IN_FILE = countUsers(USERS);

  private final FeederBuilder<String> feeder = csv(Path.of(USERS).toAbsolutePath().toString()).circular();

  private final HttpProtocolBuilder protocol = http.baseUrl(BASE)
      .acceptHeader("application/json")
      .userAgentHeader("Gatehouse load test (Gatling)")
      .disableWarmUp();

  private final ScenarioBuilder signIn = scenario("sign-in")
      .feed(feeder)
      .exec(http("page").get("/").check(status().is(200)))
      .exec(getCookieValue(CookieKey("XSRF-TOKEN").saveAs("xsrf")))
      .exec(http("password step").post("/api/session")
          .header("X-XSRF-TOKEN", "#{xsrf}")
          .body(StringBody("{\"email\":\"#{email}\",\"password\":\"#{password}\"}")).asJson()
          .check(OVERLOAD ? status().in(200, 429, 503) : status().is(200))
          .check(jsonPath("$.state").optional().saveAs("state")))
      .doIf(session -> "two_factor_required".equals(session.getString("state"))).then(
          // The session id and the CSRF token changed with the password step: read the cookie again.
          exec(getCookieValue(CookieKey("XSRF-TOKEN").saveAs("xsrf")))
              .exec(session -> session.set("code", LoadTotp.now(session.getString("totpSecret"))))
              .exec(http("second step").post("/api/session/two-factor")
                  .header("X-XSRF-TOKEN", "#{xsrf}")
                  .body(StringBody("{\"code\":\"#{code}\"}")).asJson()
                  .check(OVERLOAD ? status().in(200, 429) : status().is(200))
                  .check(jsonPath("$.state").optional().saveAs("finalState"))));

  {
    // Each user comes round again after USERS_IN_FILE / RATE seconds; it must be more than one 30 s step.
    if (USERS_IN_FILE / RATE < 35) {
      throw new IllegalArgumentException(String.format("%s holds %d users: at %.1f sign-ins/s a user would sign in "
              + "again within 35 s and its TOTP code would be refused as replayed; seed at least %d users",
          USERS, USERS_IN_FILE, RATE, (long) Math.ceil(RATE * 35)));
    }
    setUp(signIn.injectOpen(
        rampUsersPerSec(1).to(RATE).during(RAMP),
        constantUsersPerSec(RATE).during(DURATION)))
        .protocols(protocol)
        .assertions(global().failedRequests().count().is(0L));
  }

  private static long countUsers(String file) {
    try (Stream<String> lines = Files.lines(Path.of(file))) {
      return lines.count() - 1;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the users CSV " + file + " (bench/seed-users.sh writes it)", e);
    }
  }
}
