package dev.gatehouse.http;

import dev.gatehouse.db.Database;
import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * The one failure handler: every failure becomes an {@code application/problem+json} body with a
 * stable {@code code}, never a stack trace. Unexpected failures are logged once, here.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemHandler.class);

  private final Function<RoutingContext, Future<Void>> beforeAnswer;
  private final Metrics metrics;

  /** {@code beforeAnswer} runs before the problem is written (it keeps what the session must keep); it never fails. */
  public ProblemHandler(Function<RoutingContext, Future<Void>> beforeAnswer, Metrics metrics) {
    this.beforeAnswer = beforeAnswer;
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Problem problem = toProblem(ctx);
    metrics.problem(problem.status(), problem.code());
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    beforeAnswer.apply(ctx).onComplete(v -> {
      if (!response.ended() && !response.closed()) {
        problem.headers().forEach(response::putHeader);
        write(response, problem);
      }
    });
  }

  public static void write(HttpServerResponse response, Problem problem) {
    response.setStatusCode(problem.status())
        .putHeader("Content-Type", "application/problem+json")
        .putHeader("Cache-Control", "no-store")
        .end(problem.toJson().encode());
  }

  /** The code the answer to {@code failure} carries (a problem's own, or what this handler makes of it), for metrics. */
  public static String codeOf(Throwable failure) {
    if (failure instanceof Problem p) {
      return p.code();
    }
    if (failure instanceof RejectedExecutionException) {
      return "overloaded";
    }
    if (failure != null && Database.isUnavailable(failure)) {
      return "database_unavailable";
    }
    return "internal_error";
  }

  /** A failure for the log: its type and, for PostgreSQL, the SQLSTATE and constraint, never the values. */
  static String describe(Throwable failure) {
    if (failure instanceof PgException pg) {
      return "PgException SQLSTATE " + pg.getSqlState()
          + (pg.getConstraint() == null ? "" : " constraint " + pg.getConstraint())
          + (pg.getTable() == null ? "" : " table " + pg.getTable());
    }
    return failure.getClass().getName() + ": " + failure.getMessage();
  }

  private static Problem toProblem(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof Problem p) {
      return p;
    }
    if (failure instanceof RejectedExecutionException) {
      return Problem.overloaded(1);
    }
    if (failure instanceof DecodeException) {
      return Problem.badRequest("invalid_json", "The request body is not valid JSON.");
    }
    if (failure != null && Database.isUnavailable(failure)) {
      LOG.warn("Database unavailable on {} {}: {}", ctx.request().method(), ctx.normalizedPath(), describe(failure));
      return Problem.databaseUnavailable();
    }
    int status = ctx.statusCode();
    if (failure instanceof HttpException http) {
      status = http.getStatusCode();
    }
    switch (status) {
      case 400:
        return Problem.badRequest("bad_request", "The request could not be understood.");
      case 401:
        return Problem.notSignedIn();
      case 403:
        return Problem.forbidden("forbidden", "This request is not allowed.");
      case 404:
        return Problem.notFound();
      case 405:
        return new Problem(405, "method_not_allowed", "Method not allowed", "This method is not allowed here.");
      case 413:
        return new Problem(413, "payload_too_large", "Payload too large", "The request body is too large.");
      case 415:
        return new Problem(415, "unsupported_media_type", "Unsupported media type", "Send application/json.");
      default:
        break;
    }
    if (status >= 400 && status < 500) {
      return new Problem(status, "bad_request", "Bad request", "The request was refused.");
    }
    if (failure instanceof PgException) {
      // PostgreSQL's message and detail can quote the values of a statement (a lookup hash, say): not those.
      LOG.error("Unexpected failure on {} {}: {}", ctx.request().method(), ctx.normalizedPath(), describe(failure));
    } else {
      LOG.error("Unexpected failure on {} {}", ctx.request().method(), ctx.normalizedPath(), failure);
    }
    return new Problem(500, "internal_error", "Internal error", "Something went wrong on our side.");
  }
}
