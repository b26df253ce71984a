package dev.actorfarm.launcher;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Collectors;

/**
 * When each step of this process's start-up finished, in seconds from the JVM's start: the figures
 * behind a restart's cost (BENCHMARKS.md, "Restart"), logged once the node is up.
 */
final class StartupTimeline {

  private static final Map<Double, String> MARKS = new ConcurrentSkipListMap<>();

  private StartupTimeline() {}

  /** Records that {@code step} finished now. */
  static void mark(String step) {
    double s =
        (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1e3;
    MARKS.put(s + MARKS.size() * 1e-9, step);
  }

  /** "jvm 0.00, broker 2.10, ..." in the order the steps finished. */
  static String summary() {
    return MARKS.entrySet().stream()
        .map(e -> String.format(Locale.ROOT, "%s %.2f s", e.getValue(), e.getKey()))
        .collect(Collectors.joining(", "));
  }
}
