package dev.gatehouse.factor.totp;

import dev.gatehouse.account.ProfileSection;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.UUID;

/** The {@code twoFactor} part of {@code GET /api/me}: on or off, since when, how many recovery codes are left. */
public final class TwoFactorStatus implements ProfileSection {

  private static final String STATUS = """
      SELECT t.enabled_at, t.replaced_at,
             (SELECT count(*) FROM recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL) AS remaining
      FROM totp_credentials t WHERE t.user_id = $1""";

  private final Pool pool;

  public TwoFactorStatus(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Void> addTo(UUID userId, JsonObject profile) {
    return pool.preparedQuery(STATUS).execute(Tuple.of(userId)).map(rows -> {
      JsonObject twoFactor = new JsonObject().put("enabled", rows.size() > 0);
      if (rows.size() > 0) {
        Row row = rows.iterator().next();
        long remaining = row.getLong("remaining");
        OffsetDateTime replaced = row.getOffsetDateTime("replaced_at");
        twoFactor.put("enabledAt", row.getOffsetDateTime("enabled_at").toInstant().toString())
            .put("reconfiguredAt", replaced == null ? null : replaced.toInstant().toString())
            .put("methods", new JsonArray().add(TotpFactor.METHOD).add(RecoveryCodeFactor.METHOD))
            .put("recoveryCodesRemaining", remaining)
            // At 3 or fewer the settings page asks the user to make a new set (issue 4).
            .put("recoveryCodesLow", remaining <= RecoveryCodes.LOW);
      } else {
        twoFactor.putNull("enabledAt").put("recoveryCodesRemaining", 0).put("recoveryCodesLow", false);
      }
      profile.put("twoFactor", twoFactor);
      return null;
    });
  }
}
