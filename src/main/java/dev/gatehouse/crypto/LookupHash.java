package dev.gatehouse.crypto;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A keyed HMAC-SHA256 of a normalised code, so a recovery code can be found by an index lookup without
 * storing it in a form that a stolen database could reverse. Keyed with a subkey, never the encryption key.
 */
public final class LookupHash {

  private final KeyRing keys;

  public LookupHash(KeyRing keys) {
    this.keys = keys;
  }

  /** The hash under the current key: what a new code is stored with. */
  public byte[] of(String context, String value) {
    return hash(keys.current(), context, value);
  }

  /** The hash under every key in the ring, current first: codes stored before a rotation must still match. */
  public List<byte[]> underEveryKey(String context, String value) {
    return keys.all().stream().map(key -> hash(key, context, value)).toList();
  }

  /** The context (e.g. the user id) is length-prefixed so that no two (context, value) pairs collide. */
  private static byte[] hash(ServerKey key, String context, String value) {
    byte[] contextBytes = context.getBytes(StandardCharsets.UTF_8);
    byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
    byte[] message = new byte[4 + contextBytes.length + valueBytes.length];
    message[0] = (byte) (contextBytes.length >>> 24);
    message[1] = (byte) (contextBytes.length >>> 16);
    message[2] = (byte) (contextBytes.length >>> 8);
    message[3] = (byte) contextBytes.length;
    System.arraycopy(contextBytes, 0, message, 4, contextBytes.length);
    System.arraycopy(valueBytes, 0, message, 4 + contextBytes.length, valueBytes.length);
    return ServerKey.hmac(key.lookupKey(), message);
  }
}
