package dev.gatehouse.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.net.ConnectException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The connection pool to PostgreSQL, the source of truth for everything that must hold across nodes. */
public final class Database {

  private Database() {
  }

  /** A database ready for use: the pool, migrated, and the embedded server when there is one (else null). */
  public record Started(EmbeddedDatabase embedded, Pool pool) {

    /** Closes the pool, then stops the embedded server (off the event loop: it waits for the process). */
    public Future<Void> close(Vertx vertx) {
      return pool.close().eventually(() -> embedded == null ? Future.succeededFuture()
          : vertx.executeBlocking(() -> {
            embedded.close();
            return null;
          }, false)).mapEmpty();
    }
  }

  /**
   * The external PostgreSQL at {@code url} or, when it is null, the embedded one under
   * {@code dataDir}/postgres; either way migrated (docs: migrations run under an advisory lock).
   */
  public static Future<Started> start(Vertx vertx, String url, Path dataDir, int poolSize) {
    Future<EmbeddedDatabase> embedded = url != null ? Future.succeededFuture(null)
        : vertx.executeBlocking(() -> EmbeddedDatabase.start(dataDir.resolve("postgres"), 0), false);
    return embedded.compose(db -> {
      Pool pool;
      try {
        pool = connect(vertx, db == null ? url : db.url("postgres"), poolSize);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e); // only an external URL can be malformed
      }
      Started started = new Started(db, pool);
      return Migrations.run(pool).map(started)
          .recover(err -> started.close(vertx).transform(v -> Future.failedFuture(err)));
    });
  }

  /**
   * Opens a pool. The connect timeout is short on purpose: when the database is gone, requests fail
   * within about a second with 503 rather than hanging (a refused connection fails at once). The
   * wait for a free connection is longer, so a burst of requests queues instead of failing.
   */
  public static Pool connect(Vertx vertx, String url, int maxSize) {
    PgConnectOptions connect;
    try {
      connect = PgConnectOptions.fromUri(url);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("GATEHOUSE_DATABASE_URL is not a postgresql:// URL");
    }
    connect.setCachePreparedStatements(true)
        .setPipeliningLimit(256);
    PoolOptions pool = new PoolOptions()
        .setMaxSize(maxSize)
        .setShared(false)
        .setName("gatehouse")
        .setMaxWaitQueueSize(2048)
        .setConnectionTimeout(5)
        .setConnectionTimeoutUnit(TimeUnit.SECONDS)
        .setIdleTimeout(60)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setPoolCleanerPeriod(10_000);
    NetClientOptions net = new NetClientOptions().setConnectTimeout(1000).setTcpNoDelay(true).setTcpKeepAlive(true);
    return PgBuilder.pool().with(pool).with(net).connectingTo(connect).using(vertx).build();
  }

  /** True when a failure means the database cannot be reached right now (answer 503, not 500). */
  public static boolean isUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof ClosedConnectionException || t instanceof TimeoutException) {
        return true;
      }
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        String state = pg.getSqlState();
        // 08: connection exception; 57P0x: admin shutdown, crash shutdown, cannot connect now; 53: out of resources.
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
          return true;
        }
      }
      String name = t.getClass().getName();
      String message = String.valueOf(t.getMessage());
      if (name.endsWith("NoStackTraceTimeoutException") || name.endsWith("ConnectTimeoutException")
          || message.contains("Connection refused") || message.contains("Timeout while waiting for")
          || message.contains("Connection is closed") || message.contains("Pool closed")) {
        return true;
      }
    }
    return false;
  }

  /** True when a failure is PostgreSQL refusing a duplicate key (SQLSTATE 23505). */
  public static boolean isUniqueViolation(Throwable failure) {
    return failure instanceof PgException pg && "23505".equals(pg.getSqlState());
  }
}
