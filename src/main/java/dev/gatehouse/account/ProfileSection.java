package dev.gatehouse.account;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/** A part of {@code GET /api/me} that another capability owns (two-factor status, organisation). */
public interface ProfileSection {

  /** Adds this section's members to the user's profile. */
  Future<Void> addTo(UUID userId, JsonObject profile);
}
