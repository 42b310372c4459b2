package dev.gatehouse.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the server key comes from: {@code GATEHOUSE_SECRET_KEY} when configured, otherwise a key generated
 * once into {@code <dataDir>/secret.key} (owner-only) and reused, so the embedded default just works.
 * Older keys, still needed to open what they sealed, come from {@code GATEHOUSE_SECRET_KEY_PREVIOUS}.
 */
public final class ServerKeys {

  public static final String KEY_VARIABLE = "GATEHOUSE_SECRET_KEY";
  public static final String PREVIOUS_KEYS_VARIABLE = "GATEHOUSE_SECRET_KEY_PREVIOUS";
  public static final String KEY_FILE_NAME = "secret.key";

  private static final Logger LOG = LoggerFactory.getLogger(ServerKeys.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private ServerKeys() {
  }

  /**
   * @param configuredKey base64 of 32 bytes, or null/blank to use the key file in the data directory
   * @param previousKeys comma-separated base64 keys that were current before a rotation, or null/blank
   */
  public static KeyRing load(String configuredKey, String previousKeys, Path dataDir) {
    ServerKey current = configuredKey == null || configuredKey.isBlank()
        ? fromFile(dataDir.resolve(KEY_FILE_NAME))
        : ServerKey.of(decode(configuredKey, KEY_VARIABLE));
    List<ServerKey> older = new ArrayList<>();
    if (previousKeys != null && !previousKeys.isBlank()) {
      for (String encoded : previousKeys.split(",")) {
        if (!encoded.isBlank()) {
          older.add(ServerKey.of(decode(encoded, PREVIOUS_KEYS_VARIABLE)));
        }
      }
    }
    KeyRing ring = new KeyRing(current, older);
    LOG.info("Secrets at rest are sealed with server key {} ({} older key(s) kept for reading)", current.id(),
        ring.all().size() - 1);
    return ring;
  }

  /** Never echoes the value, nor the decoder's message (which quotes the offending character). */
  static byte[] decode(String encoded, String variable) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(encoded.strip());
    } catch (IllegalArgumentException e) {
      throw new KeyMaterialException(variable + " is not valid base64; it must be the base64 of exactly "
          + ServerKey.BYTES + " random bytes (e.g. `openssl rand -base64 32`)");
    }
    if (bytes.length != ServerKey.BYTES) {
      throw new KeyMaterialException(variable + " must be the base64 of exactly " + ServerKey.BYTES
          + " bytes, but it decodes to " + bytes.length + " bytes (e.g. `openssl rand -base64 32`)");
    }
    return bytes;
  }

  static ServerKey fromFile(Path file) {
    try {
      if (!Files.exists(file)) {
        ServerKey generated = generate(file);
        if (generated != null) {
          return generated;
        }
      }
      return read(file);
    } catch (IOException e) {
      throw new KeyMaterialException("cannot read or create the server key file " + file + ": " + e.getMessage()
          + "; set " + KEY_VARIABLE + " or fix the data directory", e);
    }
  }

  /** Returns null when another process created the file first; then that one is read instead. */
  private static ServerKey generate(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    byte[] key = new byte[ServerKey.BYTES];
    new SecureRandom().nextBytes(key);
    byte[] content = (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII);
    // The permissions are set as the file is created, so it is never readable by others, not even briefly.
    FileAttribute<?>[] attributes = posix(file)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
    try (FileChannel channel = FileChannel.open(file,
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)) {
      channel.write(ByteBuffer.wrap(content));
      channel.force(true);
    } catch (FileAlreadyExistsException raced) {
      return null;
    }
    ServerKey serverKey = ServerKey.of(key);
    LOG.info("Generated a new server key {} in {} (owner-only); back it up: without it the stored TOTP secrets "
        + "and recovery codes cannot be read", serverKey.id(), file.toAbsolutePath());
    return serverKey;
  }

  private static ServerKey read(Path file) throws IOException {
    if (posix(file)) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(permissions)) {
        LOG.warn("Server key file {} was readable by others ({}); restricting it to the owner", file,
            PosixFilePermissions.toString(permissions));
        Files.setPosixFilePermissions(file, OWNER_ONLY);
      }
    }
    String encoded = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      return ServerKey.of(decode(encoded, "the server key file " + file));
    } catch (KeyMaterialException e) {
      throw new KeyMaterialException(e.getMessage() + "; restore it from a backup or set " + KEY_VARIABLE);
    }
  }

  private static boolean posix(Path file) {
    Path existing = file.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null && existing.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
