package dev.gatehouse.http;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal the client should see: an HTTP status, a stable machine-readable {@code code} and a
 * sentence for people. Thrown or failed anywhere; {@link ProblemHandler} writes it as
 * {@code application/problem+json}. Never put a secret in the detail: it goes to the client.
 */
public final class Problem extends RuntimeException {

  private final int status;
  private final String code;
  private final String title;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private final JsonObject extra = new JsonObject();

  public Problem(int status, String code, String title, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.title = title;
  }

  public static Problem badRequest(String code, String detail) {
    return new Problem(400, code, "Bad request", detail);
  }

  public static Problem invalidField(String field, String detail) {
    return badRequest("invalid_field", detail).with("field", field);
  }

  public static Problem unauthorized(String code, String detail) {
    return new Problem(401, code, "Unauthorized", detail);
  }

  public static Problem forbidden(String code, String detail) {
    return new Problem(403, code, "Forbidden", detail);
  }

  public static Problem notFound() {
    return new Problem(404, "not_found", "Not found", "There is nothing here.");
  }

  public static Problem conflict(String code, String detail) {
    return new Problem(409, code, "Conflict", detail);
  }

  public static Problem tooManyRequests(String code, long retryAfterSeconds, String detail) {
    return new Problem(429, code, "Too many requests", detail)
        .header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)))
        .with("retryAfter", Math.max(1, retryAfterSeconds));
  }

  public static Problem overloaded(long retryAfterSeconds) {
    return new Problem(503, "overloaded", "Service busy", "Gatehouse is busy right now. Try again in a moment.")
        .header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)));
  }

  public static Problem databaseUnavailable() {
    return new Problem(503, "database_unavailable", "Service unavailable",
        "Gatehouse cannot reach its database right now. Nothing was changed; try again shortly.")
        .header("Retry-After", "5");
  }

  public static Problem notSignedIn() {
    return unauthorized("not_signed_in", "Sign in first.");
  }

  public Problem header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** An extra member of the problem body (e.g. {@code ssoUrl}, {@code field}). */
  public Problem with(String name, Object value) {
    extra.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Map<String, String> headers() {
    return headers;
  }

  public JsonObject toJson() {
    JsonObject body = new JsonObject()
        .put("type", "https://gatehouse.dev/problems/" + code.replace('_', '-'))
        .put("title", title)
        .put("status", status)
        .put("detail", getMessage())
        .put("code", code);
    extra.forEach(e -> body.put(e.getKey(), e.getValue()));
    return body;
  }
}
