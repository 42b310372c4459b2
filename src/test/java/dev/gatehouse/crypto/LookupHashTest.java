package dev.gatehouse.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LookupHashTest {

  private final ServerKey key = EnvelopeTest.randomKey();
  private final LookupHash lookup = new LookupHash(KeyRing.of(key));

  @Test
  void theSameCodeForTheSameOwnerHashesTheSame() {
    assertArrayEquals(lookup.of("42", "ABCD"), lookup.of("42", "ABCD"));
    assertEquals(32, lookup.of("42", "ABCD").length);
  }

  @Test
  void ownerAndCodeBothChangeTheHash() {
    assertFalse(Arrays.equals(lookup.of("42", "ABCD"), lookup.of("43", "ABCD")));
    assertFalse(Arrays.equals(lookup.of("42", "ABCD"), lookup.of("42", "ABCE")));
    // Length-prefixing keeps ("4", "2ABCD") apart from ("42", "ABCD").
    assertFalse(Arrays.equals(lookup.of("42", "ABCD"), lookup.of("4", "2ABCD")));
  }

  @Test
  void itIsKeyedWithASubkeyNotTheEncryptionKeyNorAPlainHash() throws Exception {
    byte[] plain = java.security.MessageDigest.getInstance("SHA-256")
        .digest("ABCD".getBytes(StandardCharsets.US_ASCII));
    assertFalse(Arrays.equals(plain, lookup.of("42", "ABCD")));
    assertFalse(Arrays.equals(key.encryptionKey(), key.lookupKey()));
    assertFalse(Arrays.equals(lookup.of("42", "ABCD"), new LookupHash(KeyRing.of(EnvelopeTest.randomKey()))
        .of("42", "ABCD")));
  }

  @Test
  void afterRotationTheOldHashIsStillAmongTheCandidates() {
    byte[] before = lookup.of("42", "ABCD");
    LookupHash rotated = new LookupHash(new KeyRing(EnvelopeTest.randomKey(), List.of(key)));
    List<byte[]> candidates = rotated.underEveryKey("42", "ABCD");
    assertEquals(2, candidates.size());
    assertArrayEquals(rotated.of("42", "ABCD"), candidates.get(0));
    assertArrayEquals(before, candidates.get(1));
  }
}
