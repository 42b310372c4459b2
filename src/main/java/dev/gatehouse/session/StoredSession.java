package dev.gatehouse.session;

import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.sstore.AbstractSession;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A session as {@link PostgresSessionStore} keeps it: the data plus what the store needs to write
 * as little as possible (the id its row is stored under, the data as last read or written). Lives
 * for one request; the row is the truth.
 *
 * <p>The row moves with the id: when the id is regenerated, {@link PostgresSessionStore#put} re-keys
 * the row in one statement. So {@link #oldId()} names no old id for vertx-web's SessionHandler to
 * delete, except when the session has ended and its row must go.
 */
final class StoredSession extends AbstractSession {

  private final VertxContextPRNG prng;
  /** The id the next regeneration gives, when one was reserved. */
  private String reservedId;
  /** The id whose hash keys the row now; null while no row exists. */
  private String storedId;
  /** The stored id of a session destroyed in this request: its row is deleted, never moved. */
  private String endedId;
  private Map<String, Object> saved = Map.of();
  private UUID handle;
  private String userAgent;
  private String address;

  /** A new session, not stored until it holds something (docs/security.md 30). */
  StoredSession(VertxContextPRNG prng, long timeout, int length) {
    super(prng, timeout, length);
    this.prng = prng;
  }

  private StoredSession(VertxContextPRNG prng) {
    super(prng);
    this.prng = prng;
  }

  /** A session read from its row. */
  static StoredSession loaded(VertxContextPRNG prng, String id, long timeout, UUID handle, Map<String, Object> data,
                              long lastSeenAt) {
    StoredSession session = new StoredSession(prng);
    session.setId(id);
    session.setTimeout(timeout);
    session.setData(new ConcurrentHashMap<>(data));
    session.setLastAccessed(lastSeenAt);
    session.storedId = id;
    session.saved = new HashMap<>(data);
    session.handle = handle;
    return session;
  }

  /**
   * The id the next {@link #regenerateId} gives, chosen now so that a statement can move the row to it
   * before the session itself changes (a sign-in written with the second factor's settlement).
   */
  String reserveId() {
    if (reservedId == null) {
      // As AbstractSession makes them: as many random bytes as the current id holds, in hex.
      byte[] bytes = new byte[id().length() / 2];
      prng.nextBytes(bytes);
      reservedId = java.util.HexFormat.of().formatHex(bytes);
    }
    return reservedId;
  }

  @Override
  public Session regenerateId() {
    super.regenerateId();
    if (reservedId != null) {
      setId(reservedId);
      reservedId = null;
    }
    return this;
  }

  boolean stored() {
    return storedId != null;
  }

  String storedId() {
    return storedId;
  }

  /** The session's handle for the API (never the cookie value); null until stored. */
  UUID handle() {
    return handle;
  }

  /** Where the request that starts the session came from; written with the row. */
  void seenFrom(String userAgent, String address) {
    this.userAgent = userAgent;
    this.address = address;
  }

  String userAgent() {
    return userAgent;
  }

  String address() {
    return address;
  }

  Map<String, Object> snapshot() {
    return isEmpty() ? Map.of() : new HashMap<>(data());
  }

  /** True when the data differs from what the row holds. */
  boolean changed() {
    return !snapshot().equals(saved);
  }

  /** True when the id differs from the one the row is stored under. */
  boolean moved() {
    return storedId != null && !storedId.equals(id());
  }

  /** Something the row must learn before an answer goes out: new data, a new id, or the end. */
  boolean unsaved() {
    return isDestroyed() ? endedId != null : moved() || changed() || (!stored() && !isEmpty());
  }

  /** The row now holds this data under the current id. */
  void written(Map<String, Object> data, UUID handle) {
    this.storedId = id();
    this.endedId = null;
    this.saved = data;
    this.handle = handle;
  }

  /** The row was re-keyed to the current id elsewhere (in a caller's transaction). */
  void rekeyed() {
    this.storedId = id();
  }

  /** The row was deleted because nothing was left in the session. */
  void dropped() {
    this.storedId = null;
    this.saved = Map.of();
  }

  @Override
  public void destroy() {
    if (storedId != null) {
      endedId = storedId;
      storedId = null;
    }
    super.destroy();
  }

  @Override
  public String oldId() {
    // SessionHandler deletes oldId() before put(); a live row is re-keyed by put() instead, so
    // only the row of an ended session is named here (when the id also changed in this request).
    return endedId != null && !Objects.equals(endedId, id()) ? endedId : null;
  }

  /** The id of the row to delete when this session has ended, if one was stored. */
  String endedId() {
    return endedId;
  }
}
