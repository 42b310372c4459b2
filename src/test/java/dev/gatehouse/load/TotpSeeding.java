package dev.gatehouse.load;

import dev.gatehouse.Settings;
import dev.gatehouse.load.SeedUsers.SeededUser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

import java.util.List;

/** Turns TOTP on for seeded users, stored exactly as the server stores it. */
public final class TotpSeeding {

  private TotpSeeding() {
  }

  /** Whether this build has the TOTP tables. */
  static Future<Boolean> available(Pool pool) {
    return Future.succeededFuture(false);
  }

  /** {@code TotpSeeding --available}: exit 0 when this build can seed TOTP users (for the bench scripts). */
  public static void main(String[] args) {
    System.exit(AVAILABLE ? 0 : 1);
  }

  private static final boolean AVAILABLE = false;

  static Future<List<SeededUser>> enable(Vertx vertx, Pool pool, Settings settings, List<SeededUser> users) {
    return Future.failedFuture(new IllegalStateException("--totp needs the TOTP tables (branch totp), not in this build yet"));
  }
}
