package dev.gatehouse.factor.passkey;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * A registered passkey as its owner sees it in Account settings. {@code backupEligible}: a synced
 * passkey (a password manager or a platform keychain), as opposed to one bound to a single device.
 */
public record Passkey(UUID id, String name, UUID aaguid, boolean backupEligible, boolean backedUp, Instant createdAt,
                      Instant lastUsedAt) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("name", name)
        .put("authenticator", AuthenticatorNames.of(aaguid).orElse(null))
        .put("synced", backupEligible)
        .put("createdAt", createdAt.toString())
        .put("lastUsedAt", lastUsedAt == null ? null : lastUsedAt.toString());
  }
}
