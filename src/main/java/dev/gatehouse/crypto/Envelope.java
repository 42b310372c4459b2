package dev.gatehouse.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets at rest with AES-256-GCM as {@code v1.<keyId>.<base64url(nonce || ciphertext+tag)>}.
 * The context (e.g. {@code "totp:" + userId}) is authenticated but not stored, so a sealed value copied
 * to another user's row, or to another purpose, no longer opens.
 */
public final class Envelope {

  private static final String VERSION = "v1";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final KeyRing keys;

  public Envelope(KeyRing keys) {
    this.keys = keys;
  }

  public String seal(byte[] plaintext, String context) {
    ServerKey key = keys.current();
    String header = VERSION + "." + key.id() + ".";
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce);
      cipher.updateAAD(associatedData(header, context));
      byte[] sealed = cipher.doFinal(plaintext);
      byte[] body = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, body, NONCE_BYTES, sealed.length);
      return header + ENCODER.encodeToString(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public String seal(String plaintext, String context) {
    return seal(plaintext.getBytes(StandardCharsets.UTF_8), context);
  }

  public byte[] open(String sealed, String context) {
    if (sealed == null) {
      throw new EnvelopeException("no sealed value");
    }
    String[] parts = sealed.split("\\.", -1);
    if (parts.length != 3 || !VERSION.equals(parts[0])) {
      throw new EnvelopeException("not a " + VERSION + " sealed value");
    }
    String keyId = parts[1];
    ServerKey key = keys.byId(keyId).orElseThrow(() -> new EnvelopeException(
        "sealed with server key " + keyId + ", which is not configured; add it to the previous keys to read it"));
    byte[] body;
    try {
      body = DECODER.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new EnvelopeException("sealed value is not base64url");
    }
    if (body.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new EnvelopeException("sealed value is too short");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, Arrays.copyOf(body, NONCE_BYTES));
      cipher.updateAAD(associatedData(VERSION + "." + keyId + ".", context));
      return cipher.doFinal(body, NONCE_BYTES, body.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new EnvelopeException("sealed value does not open: tampered with, or sealed for another owner");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public String openString(String sealed, String context) {
    return new String(open(sealed, context), StandardCharsets.UTF_8);
  }

  /** True when the value was sealed under an older key and should be sealed again under the current one. */
  public boolean sealedWithOlderKey(String sealed) {
    String[] parts = sealed.split("\\.", -1);
    return parts.length == 3 && !keys.current().id().equals(parts[1]);
  }

  /** One Cipher per thread, initialised per use (a fresh nonce each time): getInstance costs more than the AES. */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  });

  private static Cipher cipher(int mode, ServerKey key, byte[] nonce) throws GeneralSecurityException {
    Cipher cipher = CIPHERS.get();
    cipher.init(mode, new SecretKeySpec(key.encryptionKey(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    return cipher;
  }

  /** The header is authenticated too, so the key id cannot be swapped. */
  private static byte[] associatedData(String header, String context) {
    return (header + context).getBytes(StandardCharsets.UTF_8);
  }
}
