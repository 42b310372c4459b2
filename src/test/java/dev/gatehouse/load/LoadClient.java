package dev.gatehouse.load;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The load generator: a cookie-keeping HTTP client on one Vert.x event loop, with a closed loop (N
 * requests always in flight: throughput at saturation) and an open loop (sends scheduled at a
 * constant rate whatever the answers do, latency counted from the scheduled time, as wrk2 does, so
 * a slow server cannot hide behind coordinated omission).
 */
public final class LoadClient implements AutoCloseable {

  private final Vertx vertx;
  private final Context context;
  private final HttpClientAgent http;
  private final String host;
  private final int port;

  public LoadClient(Vertx vertx, String host, int port, int connections) {
    this(vertx, host, port, connections, true, null);
  }

  /**
   * {@code keepAlive} false: a connection per request, as a browser's request behaves whose reused
   * connection was closed by a reloading proxy (the browser resends it on a new one).
   * {@code localAddress}: the address the client connects from (127.0.0.2, …: another client
   * address on loopback), null for the system's choice.
   */
  public LoadClient(Vertx vertx, String host, int port, int connections, boolean keepAlive, String localAddress) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.host = host;
    this.port = port;
    HttpClientOptions options = new HttpClientOptions().setKeepAlive(keepAlive).setTcpNoDelay(true)
        .setConnectTimeout(5000).setIdleTimeout(60);
    if (localAddress != null) {
      options.setLocalAddress(localAddress);
    }
    this.http = vertx.createHttpClient(options,
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  /** A browser: its session cookie and CSRF token, nothing else. Used from the client's event loop only. */
  public static final class Browser {
    String session;
    String xsrf;
  }

  /** One answer: status, Retry-After (or null), body, and the node nginx says served it (X-Gatehouse-Upstream, or null). */
  public record Answer(int status, String retryAfter, Buffer body, String upstream) {
    public JsonObject json() {
      try {
        return body == null || body.length() == 0 ? new JsonObject() : body.toJsonObject();
      } catch (RuntimeException e) {
        return new JsonObject();
      }
    }
  }

  public Future<Answer> get(Browser browser, String path) {
    return send(browser, HttpMethod.GET, path, null);
  }

  public Future<Answer> post(Browser browser, String path, JsonObject body) {
    return send(browser, HttpMethod.POST, path, body == null ? null : body.toBuffer());
  }

  public Future<Answer> send(Browser browser, HttpMethod method, String path, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost(host).setPort(port).setURI(path);
    if (browser != null) {
      StringBuilder cookie = new StringBuilder();
      if (browser.session != null) {
        cookie.append(LoadCookies.SESSION).append('=').append(browser.session);
      }
      if (browser.xsrf != null) {
        cookie.append(cookie.length() == 0 ? "" : "; ").append(LoadCookies.XSRF).append('=').append(browser.xsrf);
        options.putHeader("X-XSRF-TOKEN", browser.xsrf);
      }
      if (cookie.length() > 0) {
        options.putHeader("Cookie", cookie.toString());
      }
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> {
          if (browser != null) {
            for (String set : resp.headers().getAll("set-cookie")) {
              LoadCookies.apply(browser, set);
            }
          }
          String retryAfter = resp.getHeader("Retry-After");
          String upstream = resp.getHeader("X-Gatehouse-Upstream");
          int status = resp.statusCode();
          return resp.body().map(b -> new Answer(status, retryAfter, b, upstream));
        });
  }

  /** What a run measured. Latencies in nanoseconds, from the scheduled send time (open loop) or the send (closed). */
  public static final class Run {
    public final long[] latencies;
    public final int[] statuses;
    public final AtomicInteger completed = new AtomicInteger();
    public final AtomicLong maxDispatchLagNanos = new AtomicLong();
    public final AtomicInteger errors = new AtomicInteger();
    public final AtomicInteger retryAfterMissing = new AtomicInteger();
    public volatile String firstError;
    public long elapsedNanos;
    static final int NOT_STARTED = -1;
    public int sent;

    Run(int capacity) {
      latencies = new long[capacity];
      statuses = new int[capacity];
      Arrays.fill(statuses, NOT_STARTED);
    }

    public int count(int status) {
      int n = 0;
      for (int i = 0; i < sent; i++) {
        if (statuses[i] == status) {
          n++;
        }
      }
      return n;
    }

    /** Percentile in milliseconds over the requests whose status is in {@code only} (all when empty). */
    public double percentileMs(double p, int... only) {
      long[] picked = new long[sent];
      int n = 0;
      for (int i = 0; i < sent; i++) {
        if (statuses[i] <= 0) {
          continue;
        }
        int status = statuses[i];
        if (only.length == 0 || Arrays.stream(only).anyMatch(s -> s == status)) {
          picked[n++] = latencies[i];
        }
      }
      if (n == 0) {
        return Double.NaN;
      }
      Arrays.sort(picked, 0, n);
      int index = (int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100.0 * n) - 1));
      return picked[index] / 1e6;
    }

    public double ratePerSecond(int status) {
      return count(status) / (elapsedNanos / 1e9);
    }

    public String statusSummary() {
      java.util.TreeMap<Integer, Integer> by = new java.util.TreeMap<>();
      for (int i = 0; i < sent; i++) {
        if (statuses[i] != NOT_STARTED) {
          by.merge(statuses[i], 1, Integer::sum);
        }
      }
      StringBuilder s = new StringBuilder();
      by.forEach((k, v) -> s.append(s.length() == 0 ? "" : " ").append(k == 0 ? "error" : k).append('×').append(v));
      return s.toString();
    }
  }

  /**
   * Closed loop: {@code concurrency} operations always in flight for {@code seconds} (or until
   * {@code limit} operations were started). Operation i gets its index; it answers the status to
   * count (200 = success).
   */
  public Run closedLoop(int concurrency, double seconds, int limit, IntFunction<Future<Integer>> operation)
      throws InterruptedException {
    Run run = new Run(limit);
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    CountDownLatch done = new CountDownLatch(concurrency);
    for (int w = 0; w < concurrency; w++) {
      context.runOnContext(v -> loop(run, next, end, limit, operation, done));
    }
    done.await(Math.round(seconds + 120), TimeUnit.SECONDS);
    run.elapsedNanos = System.nanoTime() - start;
    run.sent = Math.min(next.get(), limit);
    return run;
  }

  private void loop(Run run, AtomicInteger next, long end, int limit, IntFunction<Future<Integer>> operation,
                    CountDownLatch done) {
    int i = next.getAndIncrement();
    if (i >= limit || System.nanoTime() >= end) {
      done.countDown();
      return;
    }
    long sent = System.nanoTime();
    run.statuses[i] = 0;
    Future<Integer> f;
    try {
      f = operation.apply(i);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      run.latencies[i] = System.nanoTime() - sent;
      record(run, i, ar.succeeded() ? ar.result() : 0, ar.cause());
      // Through the context, not directly: an operation that fails at once would otherwise recurse
      // until the stack overflows.
      context.runOnContext(v -> loop(run, next, end, limit, operation, done));
    });
  }

  /**
   * Open loop: operation i is started at {@code start + i / rate} seconds, whether or not earlier
   * ones have answered; its latency counts from that scheduled instant.
   */
  public Run openLoop(double rate, double seconds, IntFunction<Future<Integer>> operation) throws InterruptedException {
    int total = (int) Math.round(rate * seconds);
    Run run = new Run(total);
    run.sent = total;
    CountDownLatch done = new CountDownLatch(total);
    long start = System.nanoTime() + 5_000_000;
    for (int i = 0; i < total; i++) {
      long scheduled = start + (long) (i * 1e9 / rate);
      long wait;
      while ((wait = scheduled - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int index = i;
      context.runOnContext(v -> {
        long lag = System.nanoTime() - scheduled;
        run.maxDispatchLagNanos.accumulateAndGet(lag, Math::max);
        Future<Integer> f;
        try {
          f = operation.apply(index);
        } catch (RuntimeException e) {
          f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
          run.latencies[index] = System.nanoTime() - scheduled;
          record(run, index, ar.succeeded() ? ar.result() : 0, ar.cause());
          done.countDown();
        });
      });
    }
    done.await(120, TimeUnit.SECONDS);
    run.elapsedNanos = System.nanoTime() - start;
    return run;
  }

  private static void record(Run run, int i, int status, Throwable error) {
    run.statuses[i] = status;
    run.completed.incrementAndGet();
    if (status == 0) {
      run.errors.incrementAndGet();
      if (run.firstError == null) {
        run.firstError = String.valueOf(error);
      }
    }
  }

  /** Runs {@code action} on the client's event loop and waits for its result. */
  public <T> T await(Function<Void, Future<T>> action, long seconds) throws Exception {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.apply(null).onComplete(promise));
    return promise.future().await(seconds, TimeUnit.SECONDS);
  }

  public Vertx vertx() {
    return vertx;
  }

  @Override
  public void close() {
    http.close();
  }
}
