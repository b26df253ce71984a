package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RenderSharesTest {

  private static RenderShares.Demand job(String id, int priority, int waiting) {
    return new RenderShares.Demand(id, priority, false, 0, waiting, 0);
  }

  @Test
  void sharesFollowTheWeightsOfThePriorities() {
    // Equal priorities split evenly; 60 counts twice 50; 90 sixteen times
    var fair = RenderShares.fair(List.of(job("a", 50, 100), job("b", 50, 100)), 6);
    assertThat(fair).containsEntry("a", 3.0).containsEntry("b", 3.0);
    fair = RenderShares.fair(List.of(job("a", 60, 100), job("b", 50, 100)), 6);
    assertThat(fair.get("a")).isCloseTo(4.0, within(1e-9));
    assertThat(fair.get("b")).isCloseTo(2.0, within(1e-9));
    fair = RenderShares.fair(List.of(job("hi", 90, 100), job("lo", 50, 100)), 17);
    assertThat(fair.get("hi")).isCloseTo(16.0, within(1e-9));
    assertThat(fair.get("lo")).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void whatAJobCannotUseGoesToTheOthersAndPausedJobsGetNothing() {
    // a has only 1 window of work and c is paused: b takes the rest
    var demands =
        List.of(
            job("a", 50, 1),
            job("b", 50, 100),
            new RenderShares.Demand("c", 90, true, 0, 100, 2),
            new RenderShares.Demand("d", 50, false, 2, 100, 0));
    var fair = RenderShares.fair(demands, 12);
    assertThat(fair.get("a")).isEqualTo(1.0);
    assertThat(fair.get("c")).isEqualTo(0.0);
    // d's cap (--max-workers 2) holds it at 2; b gets the 9 left
    assertThat(fair.get("d")).isEqualTo(2.0);
    assertThat(fair.get("b")).isCloseTo(9.0, within(1e-9));
    // nobody has work: nothing is handed out
    assertThat(RenderShares.fair(List.of(job("a", 50, 0)), 6)).containsEntry("a", 0.0);
  }

  /** 8 jobs with plenty of work, weights from 1/4 to 4. */
  private static final List<RenderShares.Demand> EIGHT_JOBS =
      List.of(
          job("a", 30, 100),
          job("b", 40, 100),
          job("c", 50, 100),
          job("d", 50, 100),
          job("e", 60, 100),
          job("f", 60, 100),
          job("g", 70, 100),
          job("h", 40, 100));

  @Test
  void fractionalSharesAverageOutOverTicksSoNoJobStarves() {
    // 8 jobs, weights from 1/4 to 4, on 6 windows of credit: the smallest share is 0.13 window
    List<RenderShares.Demand> demands = EIGHT_JOBS;
    Map<String, Double> fair = RenderShares.fair(demands, 6);
    assertThat(fair.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(6.0, within(1e-9));
    Map<String, Double> carry = new HashMap<>();
    Map<String, Integer> sum = new HashMap<>();
    int ticks = 1000;
    for (int t = 0; t < ticks; t++) {
      // (each grant is in render at once, for one tick)
      RenderShares.grants(fair, Map.of(), carry).forEach((k, v) -> sum.merge(k, v, Integer::sum));
    }
    for (var e : fair.entrySet()) {
      assertThat(sum.get(e.getKey()) / (double) ticks)
          .as(e.getKey())
          .isCloseTo(e.getValue(), within(0.01));
      assertThat(sum.get(e.getKey())).as(e.getKey() + " granted something").isPositive();
    }
  }

  @Test
  void windowsThatOutliveTheirCreditArePaidBackSoSmallSharesGetNoMore() {
    // 8 jobs on 6 windows of credit, each admitted window in render for 5 ticks: a window admitted
    // on a tick's credit stays in render after the credit drops again. Each job's average level in
    // render is its fair share to within 5% of that share, small shares included.
    List<RenderShares.Demand> demands = EIGHT_JOBS;
    Map<String, Double> fair = RenderShares.fair(demands, 6);
    Map<String, Double> carry = new HashMap<>();
    Map<String, java.util.ArrayDeque<Integer>> admittedAt = new HashMap<>();
    Map<String, Double> level = new HashMap<>();
    int ticks = 20_000;
    for (int t = 0; t < ticks; t++) {
      Map<String, RenderShares.Demand> now = new HashMap<>();
      for (String id : fair.keySet()) {
        var q = admittedAt.computeIfAbsent(id, k -> new java.util.ArrayDeque<>());
        while (!q.isEmpty() && q.peekFirst() <= t - 5) {
          q.removeFirst();
        }
        RenderShares.Demand d =
            demands.stream().filter(x -> x.jobId().equals(id)).findFirst().get();
        now.put(id, new RenderShares.Demand(id, d.priority(), false, 0, 100, q.size()));
      }
      var grants = RenderShares.grants(fair, now, carry);
      for (String id : fair.keySet()) {
        var q = admittedAt.get(id);
        while (q.size() < grants.get(id)) {
          q.addLast(t);
        }
        level.merge(id, (double) q.size(), Double::sum);
      }
    }
    for (var e : fair.entrySet()) {
      assertThat(level.get(e.getKey()) / ticks)
          .as(e.getKey() + " (fair %.3f)", e.getValue())
          .isCloseTo(e.getValue(), within(0.05 * e.getValue()));
    }
  }
}
