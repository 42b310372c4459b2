package dev.gatehouse.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Signs device cookies: an HMAC-SHA256 under a subkey of the server key, never the encryption or
 * lookup key. Cookies signed before a key rotation still check out under the older keys.
 */
public final class DeviceCookieKey {

  private final KeyRing keys;

  public DeviceCookieKey(KeyRing keys) {
    this.keys = keys;
  }

  /** The signature of a message under the current key. */
  public byte[] sign(String message) {
    return ServerKey.hmac(keys.current().deviceCookieKey(), message.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether the signature is the message's under any key in the ring, compared in constant time. */
  public boolean verify(String message, byte[] signature) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    boolean valid = false;
    for (ServerKey key : keys.all()) {
      valid |= MessageDigest.isEqual(ServerKey.hmac(key.deviceCookieKey(), bytes), signature);
    }
    return valid;
  }
}
