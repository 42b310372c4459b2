package dev.gatehouse.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerKeysTest {

  @TempDir
  Path dataDir;

  @Test
  void withoutConfigurationAKeyIsGeneratedOwnerOnlyAndReused() throws Exception {
    KeyRing first = ServerKeys.load(null, null, dataDir);
    Path file = dataDir.resolve("secret.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(32, Base64.getDecoder().decode(Files.readString(file).strip()).length);

    KeyRing second = ServerKeys.load("", " ", dataDir);
    assertEquals(first.current().id(), second.current().id());
    String sealed = new Envelope(first).seal("s", "totp:1");
    assertEquals("s", new Envelope(second).openString(sealed, "totp:1"));
  }

  @Test
  void aMissingDataDirectoryIsCreated() {
    Path nested = dataDir.resolve("a/b");
    ServerKeys.load(null, null, nested);
    assertTrue(Files.exists(nested.resolve("secret.key")));
  }

  @Test
  void aKeyFileOpenToOthersIsTightened() throws Exception {
    ServerKeys.load(null, null, dataDir);
    Path file = dataDir.resolve("secret.key");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    ServerKeys.load(null, null, dataDir);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void aConfiguredKeyIsUsedAndNoFileIsWritten() {
    byte[] raw = new byte[32];
    raw[31] = 1;
    KeyRing ring = ServerKeys.load(Base64.getEncoder().encodeToString(raw), null, dataDir);
    assertEquals(ServerKey.of(raw).id(), ring.current().id());
    assertFalse(Files.exists(dataDir.resolve("secret.key")));
  }

  @Test
  void aBadConfiguredKeyNamesTheVariableButNeverTheValue() {
    String shortKey = Base64.getEncoder().encodeToString("sixteen byte key".getBytes(StandardCharsets.US_ASCII));
    KeyMaterialException tooShort = assertThrows(KeyMaterialException.class,
        () -> ServerKeys.load(shortKey, null, dataDir));
    assertTrue(tooShort.getMessage().contains("GATEHOUSE_SECRET_KEY"));
    assertTrue(tooShort.getMessage().contains("16 bytes"));
    assertFalse(tooShort.getMessage().contains(shortKey));

    String notBase64 = "not-base64-#secret-material!";
    KeyMaterialException garbled = assertThrows(KeyMaterialException.class,
        () -> ServerKeys.load(notBase64, null, dataDir));
    assertTrue(garbled.getMessage().contains("GATEHOUSE_SECRET_KEY"));
    assertFalse(garbled.getMessage().contains("secret-material"));
    assertFalse(garbled.getMessage().contains("#"));
    assertEquals(null, garbled.getCause());
  }

  @Test
  void previousKeysStillOpenWhatTheySealed() {
    byte[] oldRaw = new byte[32];
    oldRaw[0] = 1;
    byte[] newRaw = new byte[32];
    newRaw[0] = 2;
    String oldKey = Base64.getEncoder().encodeToString(oldRaw);
    String newKey = Base64.getEncoder().encodeToString(newRaw);
    String sealed = new Envelope(ServerKeys.load(oldKey, null, dataDir)).seal("s", "totp:1");

    KeyRing rotated = ServerKeys.load(newKey, oldKey, dataDir);
    assertEquals(ServerKey.of(newRaw).id(), rotated.current().id());
    assertEquals("s", new Envelope(rotated).openString(sealed, "totp:1"));

    KeyMaterialException bad = assertThrows(KeyMaterialException.class,
        () -> ServerKeys.load(newKey, oldKey + ",AAAA", dataDir));
    assertTrue(bad.getMessage().contains("GATEHOUSE_SECRET_KEY_PREVIOUS"));
  }

  @Test
  void aCorruptKeyFileStopsStartupClearly() throws Exception {
    Files.writeString(dataDir.resolve("secret.key"), "truncated");
    KeyMaterialException e = assertThrows(KeyMaterialException.class, () -> ServerKeys.load(null, null, dataDir));
    assertTrue(e.getMessage().contains("secret.key"), e.getMessage());
    assertTrue(e.getMessage().contains("GATEHOUSE_SECRET_KEY"), e.getMessage());
  }

  @Test
  void theGeneratedKeyIsRandom() throws Exception {
    Path other = Files.createDirectory(dataDir.resolve("other"));
    ServerKeys.load(null, null, dataDir);
    ServerKeys.load(null, null, other);
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(dataDir.resolve("secret.key")),
        Files.readAllBytes(other.resolve("secret.key"))));
    assertArrayEquals(Files.readAllBytes(dataDir.resolve("secret.key")),
        Files.readAllBytes(dataDir.resolve("secret.key")));
  }
}
