package dev.actorfarm.launcher;

import dev.actorfarm.runtime.jobs.JobStates;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The commands that change a running job's scheduling settings: {@code farm priority JOB N}, {@code
 * farm pause JOB} and {@code farm resume JOB}. Each publishes the job's new settings to {@code
 * farm.job-controls} (locally, on the farm of a data directory or {@code --kafka}) or asks a {@code
 * farm serve} with {@code --server}; the render scheduler applies them within a tick.
 */
public final class JobControlCommands {

  private JobControlCommands() {}

  /**
   * {@code --priority} and {@code --max-workers} of {@code farm render} and {@code farm submit}.
   */
  public static final class SchedulingOptions {
    @Option(
        names = "--priority",
        defaultValue = "50",
        description = {
          "Priority 0..100 (default ${DEFAULT-VALUE}). Render workers are shared among the jobs",
          "with work in proportion to 2^((priority-50)/10): 60 gets twice the share of 50."
        })
    int priority;

    @Option(
        names = "--max-workers",
        defaultValue = "0",
        description = "At most this many of the job's windows render at once (default 0: no cap).")
    int maxWorkers;

    /** The settings, validated. */
    JobStates.Controls controls() throws InputValidator.BadInputException {
      return InputValidator.controls(priority, maxWorkers);
    }
  }

  /** What the three commands share: the job, where the farm is, and how the change is made. */
  abstract static class Base implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "Job id.")
    String jobId;

    @CommandLine.Mixin FarmConnection.Options farmOptions;

    @CommandLine.Mixin RemoteFarm.Options server;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The change, on the job's current settings. */
    abstract UnaryOperator<JobStates.Controls> change();

    /** The change through the HTTP API. */
    abstract void remote(RemoteFarm farm) throws Exception;

    /** What to print once done. */
    abstract String done();

    /** Checks the command's own arguments; null when they are fine. */
    String invalid() {
      return null;
    }

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      String bad = invalid();
      if (bad != null) {
        err.println("farm: error: " + bad);
        return 2;
      }
      if (server.given()) {
        return server.run(
            err,
            farm -> {
              remote(farm);
              err.println(done());
              return 0;
            });
      }
      return farmOptions.onActiveJob(
          jobId,
          err,
          (client, states, settings) -> {
            client.control(jobId, change().apply(states.controls(jobId)));
            err.println(done());
          });
    }
  }

  /** {@code farm priority JOB N}. */
  @Command(
      name = "priority",
      mixinStandardHelpOptions = true,
      description =
          "Change a job's priority (0..100) while it runs; it takes effect within a second.")
  public static final class Priority extends Base {
    @Parameters(index = "1", paramLabel = "N", description = "New priority, 0..100.")
    int priority;

    @Override
    String invalid() {
      try {
        InputValidator.checkPriority(priority, "priority");
        return null;
      } catch (InputValidator.BadInputException e) {
        return e.getMessage();
      }
    }

    @Override
    UnaryOperator<JobStates.Controls> change() {
      return c -> new JobStates.Controls(priority, c.paused(), c.maxWorkers());
    }

    @Override
    void remote(RemoteFarm farm) throws Exception {
      farm.priority(jobId, priority);
    }

    @Override
    String done() {
      return "Job " + jobId + ": priority " + priority + ".";
    }
  }

  /** {@code farm pause JOB}. */
  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = {
        "Pause a job: it is admitted no new render work; the windows already in hand finish.",
        "`farm resume JOB` continues it where it stopped."
      })
  public static final class Pause extends Base {
    @Override
    UnaryOperator<JobStates.Controls> change() {
      return c -> new JobStates.Controls(c.priority(), true, c.maxWorkers());
    }

    @Override
    void remote(RemoteFarm farm) throws Exception {
      farm.pause(jobId);
    }

    @Override
    String done() {
      return "Job " + jobId + " paused.";
    }
  }

  /** {@code farm resume JOB}. */
  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resume a paused job where it stopped.")
  public static final class Resume extends Base {
    @Override
    UnaryOperator<JobStates.Controls> change() {
      return c -> new JobStates.Controls(c.priority(), false, c.maxWorkers());
    }

    @Override
    void remote(RemoteFarm farm) throws Exception {
      farm.resume(jobId);
    }

    @Override
    String done() {
      return "Job " + jobId + " resumed.";
    }
  }
}
