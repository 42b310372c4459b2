package dev.gatehouse.account;

import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Argon2id password hashing (docs/security.md 21) on a bounded pool of its own threads, never on an
 * event loop. The queue is bounded too: when it is full, {@link #hash}/{@link #verify} fail with
 * {@link RejectedExecutionException}, which the HTTP layer answers as 503 + Retry-After instead of
 * letting latency grow without limit.
 *
 * <p>argon2-jvm (libargon2, the C reference, over JNA) was chosen by measurement: see
 * docs/argon2.md. Parameters live in the encoded hash, so raising them later only needs
 * {@link #needsRehash} at the next sign-in.
 */
public final class PasswordHasher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordHasher.class);
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  private final Vertx vertx;
  private final Argon2 argon2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id, SALT_BYTES, HASH_BYTES);
  private final int memoryKib;
  private final int iterations;
  private final int parallelism;
  private final ThreadPoolExecutor pool;
  private final Metrics metrics;
  /** A hash of nothing anyone knows, verified for unknown emails so they cost the same as known ones. */
  private final String dummyHash;

  public PasswordHasher(Vertx vertx, int memoryKib, int iterations, int parallelism, int threads, int queue,
                        Metrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "gatehouse-argon2-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
        queue == 0 ? new java.util.concurrent.SynchronousQueue<>() : new ArrayBlockingQueue<>(queue), factory,
        new ThreadPoolExecutor.AbortPolicy());
    this.pool.prestartAllCoreThreads();
    metrics.hashPool(() -> pool.getQueue().size(), pool::getActiveCount, queue);
    byte[] random = new byte[32];
    new java.security.SecureRandom().nextBytes(random);
    this.dummyHash = argon2.hash(iterations, memoryKib, parallelism, random);
    LOG.info("Argon2id m={} KiB t={} p={} on {} hashing thread(s), queue {}", memoryKib, iterations, parallelism,
        threads, queue);
  }

  /** Hashes a new password. */
  public Future<String> hash(String password) {
    return submit(() -> {
      byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
      try {
        return argon2.hash(iterations, memoryKib, parallelism, bytes);
      } finally {
        argon2.wipeArray(bytes);
      }
    });
  }

  /**
   * Checks a password against a stored hash; with a null hash (unknown email, SSO-only account)
   * verifies against the dummy hash and answers false, taking the same time.
   */
  public Future<Boolean> verify(String storedHash, String password) {
    String hash = storedHash == null ? dummyHash : storedHash;
    return submit(() -> {
      byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
      try {
        boolean ok = argon2.verify(hash, bytes);
        return ok && storedHash != null;
      } finally {
        argon2.wipeArray(bytes);
      }
    });
  }

  /** True when a stored hash was made with other parameters than the configured ones. */
  public boolean needsRehash(String storedHash) {
    try {
      return argon2.needsRehash(storedHash, iterations, memoryKib, parallelism);
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** Jobs waiting for a hashing thread right now. */
  public int queued() {
    return pool.getQueue().size();
  }

  private <T> Future<T> submit(Callable<T> job) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    try {
      pool.execute(() -> {
        try {
          long start = System.nanoTime();
          T result = job.call();
          metrics.hashed(System.nanoTime() - start);
          context.runOnContext(v -> promise.complete(result));
        } catch (Throwable t) {
          context.runOnContext(v -> promise.fail(t));
        }
      });
    } catch (RejectedExecutionException e) {
      metrics.hashRejected();
      return Future.failedFuture(e);
    }
    return promise.future();
  }

  @Override
  public void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
