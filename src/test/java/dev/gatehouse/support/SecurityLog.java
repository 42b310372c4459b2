package dev.gatehouse.support;

import dev.gatehouse.support.Browser.Response;
import io.vertx.core.json.JsonObject;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An account's own security log as its person reads it ({@code GET /api/me/security-events}), newest first. */
public final class SecurityLog {

  private SecurityLog() {
  }

  /** The events the browser's account sees, newest first. */
  public static List<JsonObject> events(Browser b) {
    Response log = b.get("/api/me/security-events");
    assertEquals(200, log.status(), log.toString());
    return log.json().getJsonArray("events").stream().map(JsonObject.class::cast).toList();
  }

  /** Their types, newest first. */
  public static List<String> eventTypes(Browser b) {
    return events(b).stream().map(e -> e.getString("type")).toList();
  }

  /** The newest event of this type; the test fails when there is none. */
  public static JsonObject lastEvent(Browser b, String type) {
    return events(b).stream().filter(e -> type.equals(e.getString("type"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in the security log"));
  }
}
