package dev.gatehouse.crypto;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The current server key, which seals everything new, and older keys kept only to open what they sealed,
 * so the key can be rotated without losing anyone's TOTP secret or recovery codes.
 */
public final class KeyRing {

  private final ServerKey current;
  private final Map<String, ServerKey> byId;

  public KeyRing(ServerKey current, Collection<ServerKey> older) {
    this.current = current;
    Map<String, ServerKey> keys = new LinkedHashMap<>();
    keys.put(current.id(), current);
    for (ServerKey key : older) {
      ServerKey clash = keys.putIfAbsent(key.id(), key);
      if (clash != null && clash != key) {
        // Same fingerprint twice is the same key configured twice, or a 1-in-4-billion clash: either way say so.
        throw new KeyMaterialException("two configured server keys share the key id " + key.id());
      }
    }
    this.byId = Collections.unmodifiableMap(keys);
  }

  public static KeyRing of(ServerKey current) {
    return new KeyRing(current, List.of());
  }

  public ServerKey current() {
    return current;
  }

  public Optional<ServerKey> byId(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** Every key, the current one first: lookups made under an older key still have to be found. */
  public List<ServerKey> all() {
    return new ArrayList<>(byId.values());
  }
}
