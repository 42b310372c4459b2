package dev.gatehouse.throttle;

import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget itself, against the real PostgreSQL: counting, windows, blocks, back-off. */
class AttemptBudgetTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start();

  static AttemptBudget budget(int limit) {
    return new AttemptBudget(server.app().pool(), new AttemptBudget.Policy("test_" + UUID.randomUUID(), limit,
        Duration.ofMinutes(15), Duration.ofMinutes(1), Duration.ofMinutes(8), Duration.ofHours(24)), CLOCK,
        new Metrics());
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void a_hundred_parallel_charges_are_all_counted_and_exactly_the_limit_is_allowed() {
    AttemptBudget budget = budget(10);
    List<Future<AttemptBudget.Charge>> charges = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      charges.add(budget.charge("k"));
    }
    await(Future.all(charges));
    long allowed = charges.stream().filter(c -> c.result().allowed()).count();
    assertEquals(10, allowed);
    List<Integer> counts = charges.stream().map(c -> c.result().count()).sorted().toList();
    for (int i = 0; i < 100; i++) {
      assertEquals(i + 1, counts.get(i), "each charge saw its own count");
    }
    assertTrue(charges.stream().filter(c -> !c.result().allowed()).allMatch(c -> c.result().retryAfterSeconds() > 0));
  }

  @Test
  void the_window_passes_and_the_budget_is_full_again() {
    AttemptBudget budget = budget(3);
    for (int i = 0; i < 3; i++) {
      assertTrue(await(budget.charge("k")).allowed());
    }
    assertFalse(await(budget.charge("k")).allowed());
    CLOCK.advance(Duration.ofMinutes(15));
    AttemptBudget.Charge fresh = await(budget.charge("k"));
    assertTrue(fresh.allowed());
    assertEquals(1, fresh.count());
  }

  @Test
  void each_block_lasts_twice_as_long_as_the_one_before_up_to_the_maximum() {
    AttemptBudget budget = budget(2);
    List<Long> blocks = new ArrayList<>();
    for (int round = 0; round < 6; round++) {
      await(budget.charge("k"));
      AttemptBudget.Charge last = await(budget.charge("k"));
      assertTrue(last.allowed() && last.last());
      long retry = await(budget.lock(last));
      blocks.add(retry);
      AttemptBudget.Charge refused = await(budget.charge("k"));
      assertFalse(refused.allowed(), "blocked, even for an attempt that would be right");
      assertEquals(retry, refused.retryAfterSeconds());
      CLOCK.advance(Duration.ofSeconds(retry));
    }
    assertEquals(List.of(60L, 120L, 240L, 480L, 480L, 480L), blocks);
  }

  @Test
  void blocks_are_forgotten_after_a_day_of_quiet() {
    AttemptBudget budget = budget(1);
    assertEquals(60, await(budget.lock(await(budget.charge("k")))));
    CLOCK.advance(Duration.ofMinutes(1));
    assertEquals(120, await(budget.lock(await(budget.charge("k")))));
    CLOCK.advance(Duration.ofHours(25));
    assertEquals(60, await(budget.lock(await(budget.charge("k")))));
  }

  @Test
  void a_refund_gives_back_one_attempt_and_a_reset_forgets_everything() {
    AttemptBudget budget = budget(2);
    AttemptBudget.Charge first = await(budget.charge("k"));
    await(budget.refund(first));
    assertEquals(1, await(budget.charge("k")).count());
    AttemptBudget.Charge second = await(budget.charge("k"));
    await(budget.lock(second));
    assertTrue(await(budget.blockedFor("k")) > 0);
    await(budget.reset("k"));
    assertEquals(0L, await(budget.blockedFor("k")));
    assertEquals(1, await(budget.charge("k")).count());
  }

  @Test
  void counted_after_the_fact_only_failures_count_and_the_limit_th_blocks() {
    AttemptBudget budget = budget(3);
    assertEquals(0L, await(budget.fail("k")));
    assertEquals(0L, await(budget.fail("k")));
    assertEquals(60L, await(budget.fail("k")));
    assertEquals(60L, await(budget.blockedFor("k")));
    assertEquals(60L, await(budget.fail("k")), "blocked already: the block stands as it is");
  }

  @Test
  void parallel_failures_counted_after_the_fact_are_all_counted() {
    AttemptBudget budget = budget(1000);
    List<Future<Long>> failures = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      failures.add(budget.fail("k"));
    }
    await(Future.all(failures));
    assertEquals(61, await(budget.charge("k")).count());
  }

  @Test
  void keys_and_scopes_do_not_share_a_budget() {
    AttemptBudget a = budget(1);
    AttemptBudget b = budget(1);
    await(a.lock(await(a.charge("k"))));
    assertTrue(await(a.charge("other")).allowed());
    assertTrue(await(b.charge("k")).allowed());
  }

  @Test
  void ipv6_addresses_count_by_their_64_bit_prefix() {
    assertEquals(ClientAddress.budgetKey("2001:db8:1:2::1"), ClientAddress.budgetKey("2001:db8:1:2:ffff:eeee:dddd:cccc"));
    assertFalse(ClientAddress.budgetKey("2001:db8:1:2::1").equals(ClientAddress.budgetKey("2001:db8:1:3::1")));
    assertEquals("192.0.2.7", ClientAddress.budgetKey("192.0.2.7"));
    assertEquals("192.0.2.7", ClientAddress.budgetKey("::ffff:192.0.2.7"));
    assertEquals("example.com", ClientAddress.budgetKey("example.com"), "never a DNS lookup");
  }
}
