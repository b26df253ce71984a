package dev.actorfarm.launcher;

import dev.actorfarm.protocol.JobEvent;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The render command's progress display: a redrawn bar on a terminal, a line per 10% otherwise
 * (logs of CI jobs and batch schedulers).
 */
final class Progress {

  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private final int resumedFrames;
  private int totalFrames;
  private int lastDecile = -1;
  private String lastState = "";
  private double firstSegmentSeconds = Double.NaN;
  private int framesDone;
  private String lastReason = "";

  /**
   * A display for a job of about {@code estimatedFrames}, of which {@code resumedFrames} were
   * rendered before this process started (they do not count towards its speed).
   */
  Progress(PrintWriter out, boolean terminal, int estimatedFrames, int resumedFrames) {
    this.out = out;
    this.resumedFrames = resumedFrames;
    this.terminal = terminal;
    this.totalFrames = estimatedFrames;
  }

  void onEvent(JobEvent e) {
    if (e.getTotalFrames() > 0) {
      totalFrames = e.getTotalFrames();
    }
    String state = e.getState().name();
    // A notice (a stage waiting for disk space) carries no progress of its own.
    framesDone = Math.max(framesDone, e.getFramesDone());
    int done = framesDone;
    String reason = e.getState() == dev.actorfarm.protocol.JobState.FAILED ? "" : e.getReason();
    if (!reason.isEmpty() && !reason.equals(lastReason)) {
      // A line of its own, kept on a terminal too: the bar's next redraw would hide it.
      out.printf(Locale.ROOT, "%sWAITING    %s%n", terminal ? "\r\n" : "", reason);
      out.flush();
    }
    lastReason = reason;
    if (Double.isNaN(firstSegmentSeconds) && done > resumedFrames) {
      firstSegmentSeconds = (System.nanoTime() - startNanos) / 1e9;
    }
    double fraction = totalFrames > 0 ? Math.min(1, done / (double) totalFrames) : 0;
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    int doneHere = done - resumedFrames;
    String eta =
        doneHere > 0 && fraction < 1
            ? clock(elapsed * (totalFrames - done) / (double) doneHere)
            : "--:--";
    if (terminal) {
      int filled = (int) Math.round(fraction * WIDTH);
      out.printf(
          Locale.ROOT,
          "\r%-10s [%s%s] %d/%d frames %3.0f%%  elapsed %s  ETA %s   ",
          state,
          "#".repeat(filled),
          ".".repeat(WIDTH - filled),
          done,
          totalFrames,
          fraction * 100,
          clock(elapsed),
          eta);
      out.flush();
    } else {
      int decile = (int) (fraction * 10);
      if (decile != lastDecile || !state.equals(lastState)) {
        out.printf(
            Locale.ROOT,
            "%-10s %d/%d frames %3.0f%%  elapsed %s  ETA %s%n",
            state,
            done,
            totalFrames,
            fraction * 100,
            clock(elapsed),
            eta);
        lastDecile = decile;
      }
    }
    lastState = state;
  }

  /** Seconds from the submission (or resumption) to the first segment reported; NaN: none yet. */
  double firstSegmentSeconds() {
    return firstSegmentSeconds;
  }

  void finish() {
    if (terminal) {
      out.println();
    }
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
        : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
  }
}
