package dev.gatehouse.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's JSON object, read strictly: a JSON object and nothing else, no duplicate keys, no
 * unknown fields, shallow nesting, and typed accessors that refuse the wrong type with a 400.
 * Anything refused here happens before any change, so a refused request writes nothing.
 */
public final class JsonBody {

  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(64 * 1024).build())
      .build();

  private final JsonObject json;

  private JsonBody(JsonObject json) {
    this.json = json;
  }

  /** Reads the body; only the named fields are allowed. An empty body reads as {@code {}}. */
  public static JsonBody read(RoutingContext ctx, String... allowedFields) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) {
      return new JsonBody(new JsonObject());
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      throw new Problem(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json.");
    }
    validate(buffer.getBytes());
    JsonObject json = new JsonObject(buffer);
    Set<String> allowed = Set.of(allowedFields);
    Set<String> unknown = new TreeSet<>(json.fieldNames());
    unknown.removeAll(allowed);
    if (!unknown.isEmpty()) {
      throw Problem.badRequest("unknown_field", "Unknown field(s): " + String.join(", ", clip(unknown)) + ".")
          .with("allowed", Arrays.asList(allowedFields));
    }
    return new JsonBody(json);
  }

  private static Set<String> clip(Set<String> names) {
    Set<String> shown = new TreeSet<>();
    for (String n : names) {
      shown.add(n.length() > 40 ? n.substring(0, 40) + "…" : n);
      if (shown.size() == 5) {
        break;
      }
    }
    return shown;
  }

  /** One streaming pass with the strict parser: well-formed UTF-8 JSON, an object, no duplicate keys. */
  private static void validate(byte[] bytes) {
    try (JsonParser parser = STRICT.createParser(bytes)) {
      JsonToken first = parser.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw Problem.badRequest("invalid_json", "The request body must be a JSON object.");
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw Problem.badRequest("invalid_json", "The request body must hold exactly one JSON object.");
      }
    } catch (IOException e) {
      throw Problem.badRequest("invalid_json", "The request body is not valid JSON.");
    }
  }

  public boolean has(String field) {
    return json.containsKey(field);
  }

  public String requiredString(String field, int maxLength) {
    String value = optionalString(field, maxLength);
    if (value == null) {
      throw Problem.invalidField(field, "'" + field + "' is required.");
    }
    return value;
  }

  public String optionalString(String field, int maxLength) {
    Object value = json.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw Problem.invalidField(field, "'" + field + "' must be a string.");
    }
    if (s.length() > maxLength) {
      throw Problem.invalidField(field, "'" + field + "' is longer than " + maxLength + " characters.");
    }
    return s;
  }

  public Boolean optionalBoolean(String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Boolean b)) {
      throw Problem.invalidField(field, "'" + field + "' must be true or false.");
    }
    return b;
  }

  public JsonObject json() {
    return json;
  }
}
