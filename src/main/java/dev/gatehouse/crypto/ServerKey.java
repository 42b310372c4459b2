package dev.gatehouse.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One 256-bit master key and the subkeys derived from it (HKDF-SHA256, RFC 5869), so encryption, the
 * recovery-code lookup HMAC, the device-cookie signature and the CSRF token HMAC never share a key.
 * Its id is a short fingerprint, safe to store and to log.
 */
public final class ServerKey {

  public static final int BYTES = 32;

  private static final byte[] SALT = "gatehouse/server-key".getBytes(StandardCharsets.UTF_8);

  private final String id;
  private final byte[] encryptionKey;
  private final byte[] lookupKey;
  private final byte[] deviceCookieKey;
  private final byte[] csrfKey;

  private ServerKey(String id, byte[] encryptionKey, byte[] lookupKey, byte[] deviceCookieKey, byte[] csrfKey) {
    this.id = id;
    this.encryptionKey = encryptionKey;
    this.lookupKey = lookupKey;
    this.deviceCookieKey = deviceCookieKey;
    this.csrfKey = csrfKey;
  }

  /** The key from its 32 raw bytes; anything else is refused without echoing it. */
  public static ServerKey of(byte[] master) {
    if (master == null || master.length != BYTES) {
      throw new KeyMaterialException("a server key must be exactly " + BYTES + " bytes");
    }
    byte[] prk = hmac(SALT, master);
    ServerKey key = new ServerKey(fingerprint(master), expand(prk, "aes-256-gcm/v1"), expand(prk, "lookup-hmac/v1"),
        expand(prk, "device-cookie-hmac/v1"), expand(prk, "csrf-hmac/v1"));
    Arrays.fill(prk, (byte) 0);
    return key;
  }

  /** First 8 hex characters of SHA-256 of the key: tells keys apart, reveals nothing usable. */
  static String fingerprint(byte[] master) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(master);
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public String id() {
    return id;
  }

  byte[] encryptionKey() {
    return encryptionKey;
  }

  byte[] lookupKey() {
    return lookupKey;
  }

  byte[] deviceCookieKey() {
    return deviceCookieKey;
  }

  byte[] csrfKey() {
    return csrfKey;
  }

  /** HKDF-Expand for a single 32-byte block. */
  private static byte[] expand(byte[] prk, String info) {
    byte[] infoBytes = ("gatehouse/" + info).getBytes(StandardCharsets.UTF_8);
    byte[] message = Arrays.copyOf(infoBytes, infoBytes.length + 1);
    message[infoBytes.length] = 1;
    return hmac(prk, message);
  }

  /** One Mac per thread, keyed per use: looking one up costs more than hashing a short message. */
  private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  });

  static byte[] hmac(byte[] key, byte[] message) {
    try {
      Mac mac = MACS.get();
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "ServerKey[" + id + "]";
  }
}
