package dev.gatehouse.throttle;

import dev.gatehouse.config.Settings;
import dev.gatehouse.metrics.Metrics;
import io.vertx.sqlclient.Pool;

import java.time.Clock;
import java.time.Duration;

/**
 * Every attempt budget, read from the configuration with the defaults of issue 6 (README,
 * "Attempt budgets"). Each is {@code GATEHOUSE_<NAME>_LIMIT} attempts per
 * {@code GATEHOUSE_<NAME>_WINDOW_SECONDS}; the attempt that uses it up blocks for
 * {@code GATEHOUSE_<NAME>_BLOCK_SECONDS}, doubling per further block up to
 * {@code GATEHOUSE_BLOCK_MAX_SECONDS}.
 */
public record Budgets(AttemptBudget passwordAccount, AttemptBudget passwordAddress, AttemptBudget passwordDevice,
                      AttemptBudget secondStep, AttemptBudget recoveryCode, AttemptBudget totpLock, AttemptBudget sudo,
                      AttemptBudget passkeyAccount, AttemptBudget passkeyAddress) {

  public static final String BLOCK_MAX_SECONDS = "GATEHOUSE_BLOCK_MAX_SECONDS";
  public static final String MEMORY_SECONDS = "GATEHOUSE_BUDGET_MEMORY_SECONDS";
  public static final String TOTP_LOCK_AFTER = "GATEHOUSE_TOTP_LOCK_AFTER";
  /** "Until a recovery code is used": a block no one waits out. */
  private static final Duration FOREVER = Duration.ofDays(365L * 100);

  public static Budgets from(Settings settings, Pool pool, Clock clock, Metrics metrics) {
    Duration max = seconds(settings, BLOCK_MAX_SECONDS, 3600);
    Duration memory = seconds(settings, MEMORY_SECONDS, 86_400);
    int totpLockAfter = settings.integer(TOTP_LOCK_AFTER, 100, 1, 1_000_000);
    return new Budgets(
        budget(settings, pool, clock, metrics, "PASSWORD_ACCOUNT", "password_account", 10, 900, 60, max, memory),
        budget(settings, pool, clock, metrics, "PASSWORD_ADDRESS", "password_address", 50, 900, 60, max, memory),
        // A browser with a device cookie for an account whose budget strangers used up.
        budget(settings, pool, clock, metrics, "PASSWORD_DEVICE", "password_device", 10, 900, 60, max, memory),
        budget(settings, pool, clock, metrics, "SECOND_STEP", "second_step", 10, 900, 900, max, memory),
        budget(settings, pool, clock, metrics, "RECOVERY_CODE", "recovery_code", 10, 900, 900, max, memory),
        // Consecutive wrong TOTP codes, however slowly they come; only a recovery code unlocks.
        new AttemptBudget(pool, new AttemptBudget.Policy("totp_lock", totpLockAfter, FOREVER, FOREVER, FOREVER,
            Duration.ZERO), clock, metrics),
        budget(settings, pool, clock, metrics, "SUDO", "sudo", 10, 900, 300, max, memory),
        // Passkey sign-ins without a password that failed: per account (the passkey's owner), and per
        // client address, apart from the password's budgets so that neither can lock the other out.
        budget(settings, pool, clock, metrics, "PASSKEY_ACCOUNT", "passkey_account", 10, 900, 900, max, memory),
        budget(settings, pool, clock, metrics, "PASSKEY_ADDRESS", "passkey_address", 50, 900, 60, max, memory));
  }

  private static AttemptBudget budget(Settings settings, Pool pool, Clock clock, Metrics metrics, String name,
                                      String scope, int limit, int windowSeconds, int blockSeconds, Duration max,
                                      Duration memory) {
    String prefix = "GATEHOUSE_" + name;
    Duration block = seconds(settings, prefix + "_BLOCK_SECONDS", blockSeconds);
    return new AttemptBudget(pool, new AttemptBudget.Policy(scope,
        settings.integer(prefix + "_LIMIT", limit, 1, 1_000_000),
        seconds(settings, prefix + "_WINDOW_SECONDS", windowSeconds),
        block, block.compareTo(max) > 0 ? block : max, memory), clock, metrics);
  }

  private static Duration seconds(Settings settings, String key, int defaultValue) {
    return Duration.ofSeconds(settings.integer(key, defaultValue, 1, 365 * 86_400));
  }
}
