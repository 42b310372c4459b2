package dev.gatehouse.load;

import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figure (a): how many password verifications the server's own {@link PasswordHasher} does per
 * CPU-second at given parameters, with every core busy: the ceiling for the password step. Run in
 * a JVM of its own with the server's JVM flags; prints one line {@code hashes=N cpu=S wall=S}.
 *
 * <pre>java -cp … dev.gatehouse.load.HashRate MEMORY_KIB ITERATIONS PARALLELISM THREADS WARMUP_S MEASURE_S</pre>
 */
public final class HashRate {

  private HashRate() {
  }

  public static void main(String[] args) throws Exception {
    int m = Integer.parseInt(args[0]);
    int t = Integer.parseInt(args[1]);
    int p = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    double warmup = Double.parseDouble(args[4]);
    double measure = Double.parseDouble(args[5]);
    long pid = ProcessHandle.current().pid();
    Vertx vertx = Vertx.vertx();
    PasswordHasher hasher = vertx.executeBlocking(() -> new PasswordHasher(vertx, m, t, p, threads, threads * 4,
        new Metrics()), false)
        .await(60, TimeUnit.SECONDS);
    String password = "load-test-password-7f3a";
    String stored = hasher.hash(password).await(60, TimeUnit.SECONDS);
    AtomicLong done = new AtomicLong();
    AtomicLong wrong = new AtomicLong();
    long end = System.nanoTime() + (long) ((warmup + measure + 1) * 1e9);
    Context context = vertx.getOrCreateContext();
    // Two jobs per thread in flight: the pool never waits for the next one to be submitted.
    for (int i = 0; i < threads * 2; i++) {
      context.runOnContext(v -> verifyForever(hasher, stored, password, done, wrong, end));
    }
    Thread.sleep((long) (warmup * 1000));
    long n0 = done.get();
    double cpu0 = Proc.cpuSeconds(pid);
    long t0 = System.nanoTime();
    Thread.sleep((long) (measure * 1000));
    long n1 = done.get();
    double cpu1 = Proc.cpuSeconds(pid);
    long t1 = System.nanoTime();
    System.out.printf(java.util.Locale.ROOT, "hashes=%d cpu=%.3f wall=%.3f wrong=%d%n", n1 - n0, cpu1 - cpu0,
        (t1 - t0) / 1e9, wrong.get());
    System.out.flush();
    hasher.close();
    vertx.close();
    System.exit(0);
  }

  private static void verifyForever(PasswordHasher hasher, String stored, String password, AtomicLong done,
                                    AtomicLong wrong, long end) {
    if (System.nanoTime() > end) {
      return;
    }
    hasher.verify(stored, password).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        done.incrementAndGet();
      } else {
        wrong.incrementAndGet();
      }
      verifyForever(hasher, stored, password, done, wrong, end);
    });
  }
}
