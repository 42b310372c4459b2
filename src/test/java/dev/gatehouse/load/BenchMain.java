package dev.gatehouse.load;

import dev.gatehouse.Main;

/** The benchmark's server: Gatehouse as {@code Main} runs it, plus the measurement routes. */
public final class BenchMain {

  private BenchMain() {
  }

  public static void main(String[] args) {
    Main.run(BenchRoutes.extras());
  }
}
