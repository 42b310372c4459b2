package dev.gatehouse.db;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The connection pool to PostgreSQL, the source of truth for everything that must hold across nodes. */
public final class Database {

  private Database() {
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
