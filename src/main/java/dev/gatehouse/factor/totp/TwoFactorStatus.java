package dev.gatehouse.factor.totp;

import dev.gatehouse.account.ProfileSection;
import dev.gatehouse.factor.EnabledFactors;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The {@code twoFactor} part of {@code GET /api/me}: on or off (any second factor), which methods, since when
 * the authenticator app is set up, and how many recovery codes are left.
 */
public final class TwoFactorStatus implements ProfileSection {

  private static final String STATUS = """
      SELECT t.enabled_at, t.replaced_at,
             (SELECT count(*) FROM recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL) AS remaining
      FROM (SELECT $1::uuid AS user_id) u LEFT JOIN totp_credentials t ON t.user_id = u.user_id""";

  private final Pool pool;
  private final EnabledFactors enabled;

  public TwoFactorStatus(Pool pool, EnabledFactors enabled) {
    this.pool = pool;
    this.enabled = enabled;
  }

  @Override
  public Future<Void> addTo(UUID userId, JsonObject profile) {
    return enabled.methods(pool, userId).compose(factors -> pool.preparedQuery(STATUS).execute(Tuple.of(userId))
        .map(rows -> {
          Row row = rows.iterator().next();
          JsonObject twoFactor = new JsonObject().put("enabled", !factors.isEmpty());
          if (factors.isEmpty()) {
            twoFactor.putNull("enabledAt").put("recoveryCodesRemaining", 0).put("recoveryCodesLow", false);
          } else {
            long remaining = row.getLong("remaining");
            OffsetDateTime enabledAt = row.getOffsetDateTime("enabled_at");
            OffsetDateTime replaced = row.getOffsetDateTime("replaced_at");
            List<String> methods = new ArrayList<>(factors);
            methods.add(RecoveryCodeFactor.METHOD);
            // enabledAt and reconfiguredAt are the authenticator app's; null when the account has passkeys only.
            twoFactor.put("enabledAt", enabledAt == null ? null : enabledAt.toInstant().toString())
                .put("reconfiguredAt", replaced == null ? null : replaced.toInstant().toString())
                .put("methods", new JsonArray(methods))
                .put("recoveryCodesRemaining", remaining)
                // At 3 or fewer the settings page asks the user to make a new set (issue 4).
                .put("recoveryCodesLow", remaining <= RecoveryCodes.LOW);
          }
          profile.put("twoFactor", twoFactor);
          return null;
        }));
  }
}
