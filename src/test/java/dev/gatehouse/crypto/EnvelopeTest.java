package dev.gatehouse.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

  static ServerKey randomKey() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return ServerKey.of(bytes);
  }

  private final ServerKey key = randomKey();
  private final Envelope envelope = new Envelope(KeyRing.of(key));
  private final byte[] secret = "a TOTP secret".getBytes(StandardCharsets.UTF_8);

  @Test
  void aSealedSecretOpensForTheSameOwner() {
    String sealed = envelope.seal(secret, "totp:42");
    assertArrayEquals(secret, envelope.open(sealed, "totp:42"));
    assertEquals("hello", envelope.openString(envelope.seal("hello", "recovery:42"), "recovery:42"));
  }

  @Test
  void theSealedFormNamesVersionAndKeyButHidesTheSecret() {
    String sealed = envelope.seal(secret, "totp:42");
    assertTrue(sealed.startsWith("v1." + key.id() + "."), sealed);
    assertTrue(key.id().matches("[0-9a-f]{8}"));
    assertFalse(sealed.contains("TOTP"));
    byte[] body = Base64.getUrlDecoder().decode(sealed.substring(sealed.lastIndexOf('.') + 1));
    assertEquals(12 + secret.length + 16, body.length, "nonce, ciphertext, tag");
  }

  @Test
  void everySealUsesAFreshNonce() {
    assertNotEquals(envelope.seal(secret, "totp:42"), envelope.seal(secret, "totp:42"));
  }

  @Test
  void anotherOwnerOrPurposeCannotOpenIt() {
    String sealed = envelope.seal(secret, "totp:42");
    EnvelopeException e = assertThrows(EnvelopeException.class, () -> envelope.open(sealed, "totp:43"));
    assertTrue(e.getMessage().contains("another owner"));
    assertThrows(EnvelopeException.class, () -> envelope.open(sealed, "recovery:42"));
  }

  @Test
  void aTamperedCiphertextDoesNotOpen() {
    String sealed = envelope.seal(secret, "totp:42");
    String prefix = sealed.substring(0, sealed.lastIndexOf('.') + 1);
    byte[] body = Base64.getUrlDecoder().decode(sealed.substring(prefix.length()));
    for (int i = 0; i < body.length; i++) {
      byte[] flipped = body.clone();
      flipped[i] ^= 1;
      String tampered = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(flipped);
      assertThrows(EnvelopeException.class, () -> envelope.open(tampered, "totp:42"), "byte " + i);
    }
    String truncated = sealed.substring(0, sealed.length() - 4);
    assertThrows(EnvelopeException.class, () -> envelope.open(truncated, "totp:42"));
  }

  @Test
  void malformedValuesFailClearly() {
    for (String bad : new String[] {null, "", "v1", "v1.abc", "v2." + key.id() + ".AAAA", "v1." + key.id() + ".***",
        "v1." + key.id() + ".AAAA", "v1." + key.id() + ".x.y"}) {
      assertThrows(EnvelopeException.class, () -> envelope.open(bad, "totp:42"), String.valueOf(bad));
    }
  }

  @Test
  void anUnknownKeyIdFailsNamingTheId() {
    String sealed = new Envelope(KeyRing.of(randomKey())).seal(secret, "totp:42");
    String keyId = sealed.split("\\.")[1];
    EnvelopeException e = assertThrows(EnvelopeException.class, () -> envelope.open(sealed, "totp:42"));
    assertTrue(e.getMessage().contains(keyId) && e.getMessage().contains("not configured"), e.getMessage());
  }

  @Test
  void theKeyIdCannotBeSwappedForAnotherKnownKey() {
    ServerKey other = randomKey();
    Envelope both = new Envelope(new KeyRing(key, List.of(other)));
    String sealed = both.seal(secret, "totp:42");
    String relabelled = sealed.replace("." + key.id() + ".", "." + other.id() + ".");
    assertThrows(EnvelopeException.class, () -> both.open(relabelled, "totp:42"));
  }

  @Test
  void afterRotationOldSecretsStillOpenAndNewOnesUseTheNewKey() {
    String sealedBefore = envelope.seal(secret, "totp:42");
    ServerKey next = randomKey();
    Envelope rotated = new Envelope(new KeyRing(next, List.of(key)));
    assertArrayEquals(secret, rotated.open(sealedBefore, "totp:42"));
    assertTrue(rotated.sealedWithOlderKey(sealedBefore));
    String sealedAfter = rotated.seal(secret, "totp:42");
    assertTrue(sealedAfter.startsWith("v1." + next.id() + "."));
    assertFalse(rotated.sealedWithOlderKey(sealedAfter));
    // The old key alone cannot read what the new key sealed.
    assertThrows(EnvelopeException.class, () -> envelope.open(sealedAfter, "totp:42"));
  }

  @Test
  void theSameKeyTwiceInARingIsFineButTheIdIsStable() {
    byte[] bytes = new byte[32];
    bytes[0] = 7;
    assertEquals(ServerKey.of(bytes).id(), ServerKey.of(bytes.clone()).id());
    assertEquals("ServerKey[" + ServerKey.of(bytes).id() + "]", ServerKey.of(bytes).toString());
  }
}
