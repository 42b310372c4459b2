package dev.gatehouse.sso;

import dev.gatehouse.account.ProfileSection;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * The {@code organisation} of {@code GET /api/me}: the user's first organisation (one they own,
 * else the one they joined first) as {@code {slug, name, role, ssoEnabled}}, or null; and every
 * one of them under {@code organisations}.
 */
public final class OrganisationProfile implements ProfileSection {

  private final Organisations organisations;

  public OrganisationProfile(Organisations organisations) {
    this.organisations = organisations;
  }

  @Override
  public Future<Void> addTo(UUID userId, JsonObject profile) {
    return organisations.memberships(userId).map(list -> {
      profile.put("organisation", list.isEmpty() ? null : list.get(0).toJson());
      profile.put("organisations", new JsonArray(list.stream().map(Membership::toJson).toList()));
      return null;
    });
  }
}
