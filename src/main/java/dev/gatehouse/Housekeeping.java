package dev.gatehouse;

import dev.gatehouse.config.Settings;
import dev.gatehouse.audit.EventRetention;
import dev.gatehouse.factor.passkey.PasskeyStore;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.session.PostgresSessionStore;
import dev.gatehouse.throttle.AttemptBudget;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * A periodic timer (every node runs one; the statements are safe to run concurrently) that prunes
 * security events past their retention period, attempt budgets that have expired, expired sessions
 * (reads refuse those already; this gives back their space) and expired passkey challenges.
 */
final class Housekeeping {

  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);
  static final String INTERVAL_SECONDS = "GATEHOUSE_HOUSEKEEPING_INTERVAL_SECONDS";

  private final Vertx vertx;
  private final Pool pool;
  private final PasskeyStore passkeys;
  private final EventRetention events;
  private final Duration retention;
  private final Clock clock;
  private final Metrics metrics;
  private final long interval;
  private long timer = -1;

  Housekeeping(Vertx vertx, Pool pool, PasskeyStore passkeys, Settings settings, Clock clock, Metrics metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.pool = pool;
    this.passkeys = passkeys;
    this.events = new EventRetention(pool);
    this.retention = Duration.ofDays(settings.integer(EventRetention.RETENTION_DAYS, 90, 1, 36_500));
    this.clock = clock;
    this.interval = settings.integer(INTERVAL_SECONDS, 3600, 1, 7 * 86_400) * 1000L;
  }

  /** Starts the timer: a first round within a minute of startup, then every interval. */
  Housekeeping start() {
    timer = vertx.setPeriodic(Math.min(interval, 60_000), interval, id -> run());
    return this;
  }

  /** One round; failures (the database away, say) are logged and retried at the next tick. */
  Future<Void> run() {
    return events.pruneBefore(clock.instant().minus(retention))
        .compose(pruned -> AttemptBudget.pruneExpired(pool, clock.instant())
            .compose(budgets -> PostgresSessionStore.pruneExpired(pool, clock.instant()).map(sessions -> {
              metrics.sessionsEnded("expired", sessions);
              if (pruned > 0 || budgets > 0 || sessions > 0) {
                LOG.info("Housekeeping: pruned {} security event(s) older than {} days, {} expired attempt budget(s)"
                    + " and {} expired session(s)", pruned, retention.toDays(), budgets, sessions);
              }
              return (Void) null;
            })))
        .compose(v -> passkeys.pruneChallenges(pool, clock.instant()))
        .<Void>mapEmpty()
        .onFailure(err -> LOG.warn("Housekeeping skipped: {}", err.toString()));
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
