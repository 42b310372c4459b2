package dev.gatehouse.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Stateless CSRF tokens (docs/security.md 13, 30): a random value and its HMAC under a subkey of the
 * server key, bound to the session id, or to no session for a visitor who has none. Nothing is kept
 * on the server, so an anonymous page view stores nothing, and every node that shares the key
 * accepts what another node issued.
 */
public final class CsrfTokens {

  /** Random bytes per token: 128 bits. */
  public static final int RANDOM_BYTES = 16;
  private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODE = Base64.getUrlDecoder();
  /** Longer than any token we issue: anything bigger is refused before it is decoded. */
  private static final int MAX_LENGTH = 128;

  private final KeyRing keys;

  public CsrfTokens(KeyRing keys) {
    this.keys = keys;
  }

  /** A new token for {@code binding} (a session id, or "" for no session) from {@code random} bytes. */
  public String issue(String binding, byte[] random) {
    return ENCODE.encodeToString(random) + "." + ENCODE.encodeToString(mac(keys.current(), binding, random));
  }

  /** True when {@code token} was issued for {@code binding} under any key of the ring; constant time in the MAC. */
  public boolean valid(String token, String binding) {
    if (token == null || token.length() > MAX_LENGTH) {
      return false;
    }
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    byte[] random;
    byte[] given;
    try {
      random = DECODE.decode(token.substring(0, dot));
      given = DECODE.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (random.length != RANDOM_BYTES) {
      return false;
    }
    boolean ok = false;
    // Every key, not only the current one: a page open across a key rotation keeps working.
    for (ServerKey key : keys.all()) {
      ok |= MessageDigest.isEqual(given, mac(key, binding, random));
    }
    return ok;
  }

  /** The binding is length-prefixed so that no two (binding, random) pairs give the same message. */
  private static byte[] mac(ServerKey key, String binding, byte[] random) {
    byte[] bound = binding.getBytes(StandardCharsets.UTF_8);
    byte[] message = new byte[4 + bound.length + random.length];
    message[0] = (byte) (bound.length >>> 24);
    message[1] = (byte) (bound.length >>> 16);
    message[2] = (byte) (bound.length >>> 8);
    message[3] = (byte) bound.length;
    System.arraycopy(bound, 0, message, 4, bound.length);
    System.arraycopy(random, 0, message, 4 + bound.length, random.length);
    return ServerKey.hmac(key.csrfKey(), message);
  }
}
