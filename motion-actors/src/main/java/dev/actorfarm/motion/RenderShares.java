package dev.actorfarm.motion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weighted max-min fair shares of the render credit, and the integer credits granted from them.
 *
 * <p>Each job that has render work (windows waiting for admission, or admitted and not yet
 * rendered) gets a share of the total credit proportional to its weight, {@code 2^((priority - 50)
 * / 10)}: priority 60 counts twice as much as 50, 90 sixteen times. A share is never more than the
 * job can use (its windows, its worker cap); what it cannot use is divided among the others
 * (water-filling). A paused job gets nothing.
 *
 * <p>Credits are whole windows. Each tick grants the floor of the fair share plus what the job is
 * owed: the sum over past ticks of its fair share less the windows it actually had in render. So a
 * job's level of admitted windows averages its fair share even where that is a fraction (0.3 of a
 * window is one window in render three ticks in ten), and a window that stays in render after its
 * credit dropped is paid back later rather than given away: no job with work starves, and none gets
 * more than its share because it is small.
 */
final class RenderShares {

  private RenderShares() {}

  /** What a job asks of the render workers now. */
  record Demand(
      String jobId, int priority, boolean paused, int maxWorkers, int waiting, int inRender) {

    /** Most windows the job could have admitted at once now. */
    int limit() {
      int d = waiting + inRender;
      return maxWorkers > 0 ? Math.min(d, maxWorkers) : d;
    }
  }

  /** The weight of a priority 0..100. */
  static double weight(int priority) {
    return Math.pow(2, (Math.max(0, Math.min(100, priority)) - 50) / 10.0);
  }

  /** Each job's fair share of {@code total} windows (water-filling by weight, capped by demand). */
  static Map<String, Double> fair(List<Demand> demands, int total) {
    Map<String, Double> out = new LinkedHashMap<>();
    List<Demand> open = new ArrayList<>();
    for (Demand d : demands) {
      out.put(d.jobId(), 0.0);
      if (!d.paused() && d.limit() > 0) {
        open.add(d);
      }
    }
    double remaining = total;
    while (!open.isEmpty() && remaining > 1e-9) {
      double sum = open.stream().mapToDouble(d -> weight(d.priority())).sum();
      double left = remaining;
      List<Demand> capped =
          open.stream().filter(d -> left * weight(d.priority()) / sum >= d.limit()).toList();
      if (capped.isEmpty()) {
        for (Demand d : open) {
          out.put(d.jobId(), left * weight(d.priority()) / sum);
        }
        break;
      }
      for (Demand d : capped) {
        out.put(d.jobId(), (double) d.limit());
        remaining -= d.limit();
      }
      open.removeAll(capped);
    }
    return out;
  }

  /** Most a job may be owed: one window (more would burst in when a job's work comes back). */
  private static final double MAX_OWED = 1;

  /**
   * Most a job may owe, in window-ticks it kept in render beyond its share, paid back over the
   * ticks after: enough for a window in render for 20 ticks (4 s at the default tick) on a small
   * share, and a bound on how long the past is remembered.
   */
  private static final double MAX_OWING = 20;

  /**
   * Whole-window credits from fair shares and each job's demand ({@code demands}: the windows it
   * has in render now and could have); {@code carry} holds what each job is owed between ticks and
   * is updated (jobs no longer present are dropped). A job's level this tick is what it has in
   * render, or its grant where that is more and it has the windows: it admits them at once, before
   * it next reports.
   */
  static Map<String, Integer> grants(
      Map<String, Double> fair, Map<String, Demand> demands, Map<String, Double> carry) {
    Map<String, Integer> out = new LinkedHashMap<>();
    Map<String, Double> next = new HashMap<>();
    for (var e : fair.entrySet()) {
      double owed = carry.getOrDefault(e.getKey(), 0.0);
      int g = Math.max(0, (int) Math.floor(e.getValue() + owed + 1e-9));
      out.put(e.getKey(), g);
      Demand d = demands.get(e.getKey());
      double level = d == null ? g : Math.max(d.inRender(), Math.min(g, d.limit()));
      next.put(
          e.getKey(),
          e.getValue() == 0
              ? 0
              : Math.max(-MAX_OWING, Math.min(MAX_OWED, owed + e.getValue() - level)));
    }
    carry.clear();
    carry.putAll(next);
    return out;
  }
}
