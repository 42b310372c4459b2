package dev.gatehouse.load;

import dev.gatehouse.config.Settings;
import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.crypto.ServerKeys;
import dev.gatehouse.load.SeedUsers.SeededUser;
import dev.gatehouse.factor.totp.TotpStore;
import dev.gatehouse.factor.totp.TotpSecret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Turns TOTP on for seeded users, stored exactly as the server stores a confirmed authenticator app:
 * a fresh 160-bit secret per user, sealed with the server's key (GATEHOUSE_SECRET_KEY, or the key
 * file in GATEHOUSE_DATA_DIR: seed with the server's configuration) and bound to the user, and the
 * replay guard at step 0. The CSV gets the secret in base32, as an authenticator app would.
 */
public final class TotpSeeding {

  private static final int BATCH = 1000;
  private static final String UPSERT = """
      INSERT INTO totp_credentials (user_id, secret, last_step)
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
      ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, replaced_at = now(),
        last_used_at = NULL""";

  private TotpSeeding() {
  }

  /** {@code TotpSeeding --available}: exit 0 when this build can seed TOTP users (for the bench scripts). */
  public static void main(String[] args) {
    System.exit(0);
  }

  /** Whether the database has the TOTP tables. */
  static Future<Boolean> available(Pool pool) {
    return pool.query("SELECT to_regclass('totp_credentials') IS NOT NULL").execute()
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  static Future<List<SeededUser>> enable(Vertx vertx, Pool pool, Settings settings, List<SeededUser> users) {
    return vertx.executeBlocking(() -> ServerKeys.load(settings.secretKey(),
            settings.text(ServerKeys.PREVIOUS_KEYS_VARIABLE, null), settings.dataDir()), false)
        .compose(keys -> store(vertx, pool, new Envelope(keys), users));
  }

  private static Future<List<SeededUser>> store(Vertx vertx, Pool pool, Envelope envelope, List<SeededUser> users) {
    List<SeededUser> out = new ArrayList<>(users.size());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < users.size(); from += BATCH) {
      List<SeededUser> batch = users.subList(from, Math.min(users.size(), from + BATCH));
      // Random secrets and AES-GCM for a thousand users: off the event loop.
      chain = chain.compose(v -> vertx.executeBlocking(() -> seal(envelope, batch, out), false))
          .compose(tuple -> pool.preparedQuery(UPSERT).execute(tuple).mapEmpty());
    }
    return chain.map(out);
  }

  private static Tuple seal(Envelope envelope, List<SeededUser> batch, List<SeededUser> out) {
    UUID[] ids = new UUID[batch.size()];
    String[] sealed = new String[batch.size()];
    Long[] steps = new Long[batch.size()];
    List<SeededUser> done = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      SeededUser user = batch.get(i);
      TotpSecret secret = TotpSecret.generate();
      ids[i] = user.id();
      sealed[i] = envelope.seal(secret.bytes(), TotpStore.context(user.id()));
      steps[i] = 0L;
      done.add(new SeededUser(user.email(), user.password(), secret.base32(), user.id()));
    }
    synchronized (out) {
      out.addAll(done);
    }
    return Tuple.of(ids, sealed, steps);
  }
}
