package dev.gatehouse.factor.passkey;

import dev.gatehouse.http.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * What the browser's {@code navigator.credentials.create()} or {@code get()} answered, in the W3C JSON form
 * ({@code PublicKeyCredential.toJSON()}: every byte string base64url). Read by its form alone, before any
 * lookup, so a malformed answer is a 400 that is never counted and changes nothing (docs/security.md 23).
 */
public final class SubmittedPasskey {

  /** WebAuthn's own limit on a credential id. */
  static final int MAX_CREDENTIAL_ID = 1023;
  private static final int MAX_FIELD = 8192;
  private static final int MIN_CHALLENGE = 16;
  /** The RP id hash, the flags and the counter: authenticator data is never shorter. */
  private static final int MIN_AUTHENTICATOR_DATA = 37;
  private static final int MAX_CHALLENGE = 64;
  private static final Set<String> CREDENTIAL = Set.of("id", "rawId", "type", "response", "authenticatorAttachment",
      "clientExtensionResults");
  private static final Set<String> ATTESTATION = Set.of("clientDataJSON", "attestationObject", "transports",
      "authenticatorData", "publicKey", "publicKeyAlgorithm");
  private static final Set<String> ASSERTION = Set.of("clientDataJSON", "authenticatorData", "signature", "userHandle",
      "attestationObject");
  /** The transports WebAuthn names; anything else a browser invents is dropped, not stored. */
  private static final Set<String> TRANSPORTS = Set.of("usb", "nfc", "ble", "smart-card", "hybrid", "internal");

  private SubmittedPasskey() {
  }

  /** The client data the browser signed over: its type, the server's challenge and the page's origin. */
  public record ClientData(byte[] json, String type, byte[] challenge, String origin, boolean crossOrigin) {
  }

  public record Registration(byte[] credentialId, ClientData clientData, byte[] attestationObject,
                             List<String> transports) {
  }

  /** {@code userHandle} is null when the authenticator sent none (allowed only when a user was named first). */
  public record Assertion(byte[] credentialId, ClientData clientData, byte[] authenticatorData, byte[] signature,
                          byte[] userHandle) {
  }

  public static Registration registration(Object value, String field) {
    JsonObject credential = credential(value, field);
    JsonObject response = members(credential.getValue("response"), ATTESTATION, field);
    List<String> transports = new ArrayList<>();
    Object listed = response.getValue("transports");
    if (listed != null) {
      if (!(listed instanceof JsonArray array) || array.size() > 10) {
        throw malformed(field);
      }
      for (Object transport : array) {
        if (!(transport instanceof String name)) {
          throw malformed(field);
        }
        if (TRANSPORTS.contains(name) && !transports.contains(name)) {
          transports.add(name);
        }
      }
    }
    return new Registration(credentialId(credential, field), clientData(response, field),
        bytes(response, "attestationObject", true, field), List.copyOf(transports));
  }

  public static Assertion assertion(Object value, String field) {
    JsonObject credential = credential(value, field);
    JsonObject response = members(credential.getValue("response"), ASSERTION, field);
    byte[] authenticatorData = bytes(response, "authenticatorData", true, field);
    byte[] signature = bytes(response, "signature", true, field);
    if (authenticatorData.length < MIN_AUTHENTICATOR_DATA || signature.length == 0) {
      throw malformed(field);
    }
    return new Assertion(credentialId(credential, field), clientData(response, field), authenticatorData, signature,
        bytes(response, "userHandle", false, field));
  }

  private static JsonObject credential(Object value, String field) {
    JsonObject credential = members(value, CREDENTIAL, field);
    if (!"public-key".equals(credential.getValue("type"))) {
      throw malformed(field);
    }
    Object attachment = credential.getValue("authenticatorAttachment");
    Object extensions = credential.getValue("clientExtensionResults");
    if ((attachment != null && !(attachment instanceof String)) || (extensions != null && !(extensions instanceof JsonObject))) {
      throw malformed(field);
    }
    return credential;
  }

  private static byte[] credentialId(JsonObject credential, String field) {
    byte[] id = bytes(credential, "id", true, field);
    Object raw = credential.getValue("rawId");
    if (id.length == 0 || id.length > MAX_CREDENTIAL_ID || (raw != null && !raw.equals(credential.getValue("id")))) {
      throw malformed(field);
    }
    return id;
  }

  private static ClientData clientData(JsonObject response, String field) {
    byte[] json = bytes(response, "clientDataJSON", true, field);
    JsonObject data;
    try {
      data = new JsonObject(Buffer.buffer(json));
      data.fieldNames(); // "null" decodes to an object without a map
    } catch (RuntimeException e) {
      throw malformed(field);
    }
    Object type = data.getValue("type");
    Object challenge = data.getValue("challenge");
    Object origin = data.getValue("origin");
    Object crossOrigin = data.getValue("crossOrigin");
    if (!(type instanceof String t) || !(challenge instanceof String c) || !(origin instanceof String o)
        || o.length() > 512 || (crossOrigin != null && !(crossOrigin instanceof Boolean))) {
      throw malformed(field);
    }
    byte[] decoded = decode(c, field);
    if (decoded.length < MIN_CHALLENGE || decoded.length > MAX_CHALLENGE) {
      throw malformed(field);
    }
    return new ClientData(json, t, decoded, o, Boolean.TRUE.equals(crossOrigin));
  }

  private static JsonObject members(Object value, Set<String> allowed, String field) {
    if (!(value instanceof JsonObject object) || !allowed.containsAll(object.fieldNames())) {
      throw malformed(field);
    }
    return object;
  }

  private static byte[] bytes(JsonObject object, String name, boolean required, String field) {
    Object value = object.getValue(name);
    if (value == null && !required) {
      return null;
    }
    if (!(value instanceof String text) || text.length() > MAX_FIELD) {
      throw malformed(field);
    }
    return decode(text, field);
  }

  private static byte[] decode(String base64url, String field) {
    try {
      return Base64.getUrlDecoder().decode(base64url);
    } catch (IllegalArgumentException e) {
      throw malformed(field);
    }
  }

  public static Problem malformed(String field) {
    return Problem.badRequest("malformed_passkey", "The passkey's answer could not be read. Try again.")
        .with("field", field);
  }
}
