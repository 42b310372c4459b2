package dev.gatehouse.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/** Parallel requests released at the same instant, one per browser: how "works exactly once" is proven. */
public final class Race {

  private Race() {
  }

  /** Runs {@code request} once per browser, all released together; the answers in browser order. */
  public static <T> List<T> of(List<Browser> browsers, Function<Browser, T> request) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(browsers.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> answers = new ArrayList<>();
      for (Browser b : browsers) {
        answers.add(pool.submit(() -> {
          go.await();
          return request.apply(b);
        }));
      }
      go.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> answer : answers) {
        out.add(answer.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
