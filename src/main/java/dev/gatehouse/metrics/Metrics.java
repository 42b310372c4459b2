package dev.gatehouse.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Gatehouse's meters, scraped in the Prometheus format from the management listener (README,
 * "Metrics"). Feature code calls these methods with values from fixed vocabularies (a method, an
 * outcome, a budget's scope, a problem code); a value that is not such a word is counted as
 * {@code other}, so no label can ever carry an email, a user id or an address (docs/security.md 42).
 *
 * <p>One instance per running server: tests start many servers in one JVM, each with its own registry.
 */
public final class Metrics {

  /** Sign-in methods of the first step. */
  public static final String PASSWORD = "password";
  public static final String SSO = "sso";
  /** Outcomes shared by the sign-in and second-step counters besides a problem's code. */
  public static final String SIGNED_IN = "signed_in";
  public static final String TWO_FACTOR_REQUIRED = "two_factor_required";
  public static final String OTHER = "other";

  /** A label value: a lower-case word, short enough that a hex user id without dashes cannot pass. */
  private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9_]{0,29}");
  private static final AtomicInteger REGISTRIES = new AtomicInteger();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Vert.x keeps its registries in a static map by name; each server needs its own name. */
  private final String registryName = "gatehouse-" + REGISTRIES.incrementAndGet();
  private final List<AutoCloseable> binders = new ArrayList<>();
  private boolean jvmBound;
  private final Counter hashRejections;
  private final Timer hashTime;

  public Metrics() {
    hashRejections = Counter.builder("gatehouse.hash.rejections")
        .description("Password hashing jobs refused because the queue was full (answered 503 + Retry-After)")
        .register(registry);
    hashTime = Timer.builder("gatehouse.hash.duration")
        .description("Time a hashing thread spent on one Argon2id hash or verification")
        .register(registry);
  }

  /**
   * A Vert.x whose HTTP servers, HTTP clients and SQL pool report into this registry. Labels are
   * chosen here: method, status code and matched route (a template such as {@code /api/orgs/:slug},
   * never the path) and the pool's type and name; never the remote address.
   */
  public Vertx vertx(VertxOptions options) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(registryName)
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE, Label.POOL_NAME))
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    return Vertx.builder().with(options.setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry)).build();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Heap, GC, threads, CPU and uptime; bound after start-up, off the path to ready (it loads JMX). */
  public synchronized void bindJvmMetrics() {
    if (jvmBound) {
      return;
    }
    jvmBound = true;
    List<MeterBinder> all = List.of(new JvmMemoryMetrics(), new JvmGcMetrics(), new JvmThreadMetrics(),
        new ClassLoaderMetrics(), new ProcessorMetrics(), new UptimeMetrics());
    for (MeterBinder binder : all) {
      binder.bindTo(registry);
      if (binder instanceof AutoCloseable closeable) {
        binders.add(closeable);
      }
    }
  }

  /** The first step of a sign-in: {@code method} password or sso; outcome signed_in, two_factor_required or a problem code. */
  public void signIn(String method, String outcome) {
    count("gatehouse.sign.ins", "Sign-in attempts by method and outcome", "method", method, "outcome", outcome);
  }

  /** The second step: method totp, recovery_code, passkey…; outcome signed_in or a problem code. */
  public void secondStep(String method, String outcome) {
    count("gatehouse.second.steps", "Second sign-in steps by method and outcome", "method", method, "outcome", outcome);
  }

  /** An attempt budget was used up: its key is blocked now. {@code budget} is the budget's scope. */
  public void budgetBlocked(String budget) {
    count("gatehouse.budget.blocks", "Keys blocked because they used up an attempt budget", "budget", budget);
  }

  /** A problem response went out: {@code status} and the problem's stable {@code code}. */
  public void problem(int status, String code) {
    Counter.builder("gatehouse.problems").description("Problem responses by status and code")
        .tags("status", Integer.toString(status), "code", word(code)).register(registry).increment();
  }

  /** A session became signed in; {@code method} as in the security log (password, totp, recovery_code, sso…). */
  public void sessionStarted(String method) {
    count("gatehouse.sessions.started", "Signed-in sessions started, by the method that completed the sign-in",
        "method", method);
  }

  /** A signed-in session ended; reason signed_out, expired, ended (by its owner), credential_changed… */
  public void sessionEnded(String reason) {
    sessionsEnded(reason, 1);
  }

  /** {@code count} signed-in sessions ended at once (all other sessions of an account, a batch of expired ones). */
  public void sessionsEnded(String reason, long count) {
    if (count > 0) {
      Counter.builder("gatehouse.sessions.ended").description("Signed-in sessions ended, by reason")
          .tags("reason", word(reason)).register(registry).increment(count);
    }
  }

  /** The hashing pool's queue depth and busy threads, read at each scrape. */
  public void hashPool(Supplier<Number> queued, Supplier<Number> busy, int capacity) {
    Gauge.builder("gatehouse.hash.queue", queued).description("Hashing jobs waiting for a thread").register(registry);
    Gauge.builder("gatehouse.hash.queue.capacity", () -> capacity)
        .description("Hashing jobs allowed to wait (GATEHOUSE_HASH_QUEUE)").register(registry);
    Gauge.builder("gatehouse.hash.busy", busy).description("Hashing threads working now").register(registry);
  }

  public void hashRejected() {
    hashRejections.increment();
  }

  public void hashed(long nanos) {
    hashTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** What a scrape would show; for tests and the log. */
  public String scrape() {
    return registry.scrape();
  }

  public synchronized void close() {
    for (AutoCloseable binder : binders) {
      try {
        binder.close();
      } catch (Exception e) {
        // nothing to do at shutdown
      }
    }
    binders.clear();
    registry.close();
  }

  private void count(String name, String description, String... labels) {
    String[] safe = labels.clone();
    for (int i = 1; i < safe.length; i += 2) {
      safe[i] = word(safe[i]);
    }
    Counter.builder(name).description(description).tags(Tags.of(safe)).register(registry).increment();
  }

  /** The value itself when it is a short lower-case word, else {@code other}. */
  static String word(String value) {
    if (value == null) {
      return OTHER;
    }
    return WORD.matcher(value).matches() ? value : OTHER;
  }
}
