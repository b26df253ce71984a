package dev.actorfarm.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import dev.actorfarm.protocol.JobShare;
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

  @CommandLine.Mixin RemoteFarm.Options server;

  @CommandLine.Option(
      names = "--watch",
      description = "Keep showing progress until the job (or every job) ends (needs --server).")
  boolean watch;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Through a running farm's API: a table, or progress lines until the jobs end. */
  private int remote(PrintWriter out, PrintWriter err) throws Exception {
    return server.run(
        err,
        farm -> {
          if (jobId != null) {
            if (watch) {
              JsonNode last = farm.watch(jobId, out, System.console() != null);
              return "COMPLETED".equals(last.path("state").asText()) ? 0 : 1;
            }
            out.println(RemoteFarm.progressLine(farm.job(jobId)));
            out.flush();
            return 0;
          }
          while (true) {
            JsonNode jobs = farm.jobs();
            boolean active = false;
            for (JsonNode j : jobs) {
              out.println(RemoteFarm.progressLine(j));
              active |=
                  !List.of("COMPLETED", "FAILED", "CANCELLED").contains(j.path("state").asText());
            }
            if (jobs.isEmpty()) {
              out.println("No jobs.");
            }
            out.flush();
            if (!watch || !active) {
              return 0;
            }
            Thread.sleep(2000);
            out.println();
          }
        });
  }

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (server.given() || watch) {
      return remote(out, err);
    }
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
        "%-22s %-10s %4s %6s %8s %15s %7s  %-19s  %s%n",
        "JOB",
        "STATE",
        "PRIO",
        "SHARE",
        "PROGRESS",
        "FRAMES",
        "ETA",
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
      JobStates.Controls c = states.controls(s.jobId());
      var share = s.terminal() ? java.util.Optional.<JobShare>empty() : states.share(s.jobId());
      Double eta =
          s.terminal() || c.paused()
              ? null
              : dev.actorfarm.launcher.api.JobService.etaSeconds(fraction, s.submittedMs());
      out.printf(
          Locale.ROOT,
          "%-22s %-10s %4d %6s %7.1f%% %15s %7s  %-19s  %s%n",
          s.jobId(),
          c.paused() && !s.terminal() ? "PAUSED" : s.state(),
          c.priority(),
          share.map(j -> String.format(Locale.ROOT, "%.0f%%", j.getShare() * 100)).orElse("-"),
          fraction * 100,
          s.framesDone() + "/" + (s.totalFrames() > 0 ? s.totalFrames() : "?"),
          eta == null ? "-" : String.format(Locale.ROOT, "%.0f s", eta),
          s.updatedMs() > 0 ? TIME.format(Instant.ofEpochMilli(s.updatedMs())) : "",
          detail);
    }
    out.flush();
    return 0;
  }
}
