package dev.actorfarm.launcher;

import dev.actorfarm.runtime.jobs.JobStates;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code farm status [JOB]}: the state and progress of the farm's jobs. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show the state and progress of every job, or of one.")
public final class StatusCommand implements Callable<Integer> {

  @Parameters(arity = "0..1", paramLabel = "JOB", description = "Job id (default: all jobs).")
  String jobId;

  @CommandLine.Mixin FarmConnection.Options farmOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    JobStates states;
    try (FarmConnection farm = farmOptions.open()) {
      states = JobStates.snapshot(farm.bootstrap());
    } catch (Exception e) {
      err.println("farm: error: " + e.getMessage());
      return 2;
    }
    Collection<JobStates.Status> shown;
    if (jobId != null) {
      var s = states.get(jobId);
      if (s.isEmpty()) {
        err.println("farm: error: no job " + jobId);
        return 2;
      }
      shown = List.of(s.get());
    } else {
      shown = states.all().values();
    }
    out.printf(
        Locale.ROOT,
        "%-22s %-10s %8s %15s  %-19s  %s%n",
        "JOB",
        "STATE",
        "PROGRESS",
        "FRAMES",
        "UPDATED",
        "DETAIL");
    for (JobStates.Status s : shown) {
      double fraction =
          s.totalFrames() > 0 ? Math.min(1, s.framesDone() / (double) s.totalFrames()) : 0;
      String detail =
          switch (s.state()) {
            case FAILED, CANCELLED -> s.reason();
            case COMPLETED -> s.output() == null ? "" : s.output().getUri();
            default -> "";
          };
      out.printf(
          Locale.ROOT,
          "%-22s %-10s %7.1f%% %15s  %-19s  %s%n",
          s.jobId(),
          s.state(),
          fraction * 100,
          s.framesDone() + "/" + (s.totalFrames() > 0 ? s.totalFrames() : "?"),
          s.updatedMs() > 0 ? TIME.format(Instant.ofEpochMilli(s.updatedMs())) : "",
          detail);
    }
    out.flush();
    return 0;
  }
}
