package dev.gatehouse.config;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Gatehouse's configuration: defaults, then an optional JSON file, then GATEHOUSE_* environment
 * variables (see README, "Configuration"). Parsed once at startup; anything unusable is a
 * {@link IllegalArgumentException} whose message names the key, never a secret value.
 */
public record Settings(
    String httpHost,
    int httpPort,
    int httpInstances,
    String databaseUrl,
    Path dataDir,
    String secretKey,
    String issuer,
    URI publicUrl,
    List<String> trustedProxies,
    int databasePoolSize,
    int argon2MemoryKib,
    int argon2Iterations,
    int argon2Parallelism,
    int hashThreads,
    int hashQueue,
    int bodyLimitBytes,
    JsonObject raw) {

  public static final String HTTP_HOST = "GATEHOUSE_HTTP_HOST";
  public static final String HTTP_PORT = "GATEHOUSE_HTTP_PORT";
  public static final String HTTP_INSTANCES = "GATEHOUSE_HTTP_INSTANCES";
  public static final String DATABASE_URL = "GATEHOUSE_DATABASE_URL";
  public static final String DATA_DIR = "GATEHOUSE_DATA_DIR";
  public static final String SECRET_KEY = "GATEHOUSE_SECRET_KEY";
  public static final String ISSUER = "GATEHOUSE_ISSUER";
  public static final String PUBLIC_URL = "GATEHOUSE_PUBLIC_URL";
  public static final String TRUSTED_PROXIES = "GATEHOUSE_TRUSTED_PROXIES";
  public static final String DATABASE_POOL_SIZE = "GATEHOUSE_DATABASE_POOL_SIZE";
  public static final String ARGON2_MEMORY_KIB = "GATEHOUSE_ARGON2_MEMORY_KIB";
  public static final String ARGON2_ITERATIONS = "GATEHOUSE_ARGON2_ITERATIONS";
  public static final String ARGON2_PARALLELISM = "GATEHOUSE_ARGON2_PARALLELISM";
  public static final String HASH_THREADS = "GATEHOUSE_HASH_THREADS";
  public static final String HASH_QUEUE = "GATEHOUSE_HASH_QUEUE";
  public static final String BODY_LIMIT_BYTES = "GATEHOUSE_BODY_LIMIT_BYTES";
  /** Path of the optional JSON configuration file; read from the environment only. */
  public static final String CONFIG_FILE = "GATEHOUSE_CONFIG";

  /** Every key this class knows, so the environment store reads nothing else. */
  public static final List<String> KEYS = List.of(HTTP_HOST, HTTP_PORT, HTTP_INSTANCES, DATABASE_URL, DATA_DIR,
      SECRET_KEY, ISSUER, PUBLIC_URL, TRUSTED_PROXIES, DATABASE_POOL_SIZE, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS,
      ARGON2_PARALLELISM, HASH_THREADS, HASH_QUEUE, BODY_LIMIT_BYTES);

  public static JsonObject defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new JsonObject()
        .put(HTTP_HOST, "0.0.0.0")
        .put(HTTP_PORT, 8080)
        .put(HTTP_INSTANCES, cores)
        .put(DATA_DIR, "./data")
        .put(ISSUER, "Gatehouse")
        .put(PUBLIC_URL, "http://localhost:8080")
        .put(TRUSTED_PROXIES, "")
        .put(DATABASE_POOL_SIZE, Math.max(4, cores * 4))
        // OWASP's Argon2id minimum: m=19 MiB, t=2, p=1.
        .put(ARGON2_MEMORY_KIB, 19456)
        .put(ARGON2_ITERATIONS, 2)
        .put(ARGON2_PARALLELISM, 1)
        .put(HASH_THREADS, cores)
        .put(HASH_QUEUE, 64)
        .put(BODY_LIMIT_BYTES, 16 * 1024);
  }

  public static Settings from(JsonObject json) {
    String publicUrl = text(json, PUBLIC_URL);
    URI uri;
    try {
      uri = URI.create(publicUrl);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(PUBLIC_URL + " must be an http:// or https:// URL");
    }
    String db = json.getValue(DATABASE_URL) == null ? null : text(json, DATABASE_URL);
    if (db != null && db.isBlank()) {
      db = null;
    }
    String key = json.getValue(SECRET_KEY) == null ? null : text(json, SECRET_KEY);
    if (key != null && key.isBlank()) {
      key = null;
    }
    String proxies = text(json, TRUSTED_PROXIES);
    List<String> trusted = Arrays.stream(proxies.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return new Settings(
        text(json, HTTP_HOST),
        integer(json, HTTP_PORT, 0, 65535),
        integer(json, HTTP_INSTANCES, 1, 256),
        db,
        Path.of(text(json, DATA_DIR)).toAbsolutePath().normalize(),
        key,
        text(json, ISSUER),
        uri,
        trusted,
        integer(json, DATABASE_POOL_SIZE, 1, 1000),
        integer(json, ARGON2_MEMORY_KIB, 8, 4 * 1024 * 1024),
        integer(json, ARGON2_ITERATIONS, 1, 100),
        integer(json, ARGON2_PARALLELISM, 1, 64),
        integer(json, HASH_THREADS, 1, 1024),
        integer(json, HASH_QUEUE, 0, 100_000),
        integer(json, BODY_LIMIT_BYTES, 1024, 10 * 1024 * 1024),
        json.copy());
  }

  public boolean https() {
    return "https".equals(publicUrl.getScheme());
  }

  /** A setting of another component, by key, with its default; for keys this record does not name. */
  public int integer(String key, int defaultValue, int min, int max) {
    if (raw.getValue(key) == null) {
      return defaultValue;
    }
    return integer(raw, key, min, max);
  }

  public String text(String key, String defaultValue) {
    Object value = raw.getValue(key);
    return value == null ? defaultValue : String.valueOf(value);
  }

  private static String text(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value == null) {
      throw new IllegalArgumentException(key + " is required");
    }
    return String.valueOf(value).trim();
  }

  private static int integer(JsonObject json, String key, int min, int max) {
    Object value = json.getValue(key);
    long parsed;
    try {
      parsed = value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max);
    }
    return (int) parsed;
  }
}
