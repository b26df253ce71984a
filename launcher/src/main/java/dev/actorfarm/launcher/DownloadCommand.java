package dev.actorfarm.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code farm download JOB}: writes a completed job's MP4. */
@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    description = "Download a completed job's video from a running farm's API.")
public final class DownloadCommand implements Callable<Integer> {

  @Parameters(paramLabel = "JOB", description = "Job id.")
  String jobId;

  @Option(names = "--out", description = "Output file (default: JOB.mp4).")
  Path out;

  @CommandLine.Mixin RemoteFarm.Options server;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    Path target = out != null ? out : Path.of(jobId + ".mp4");
    return server.run(
        err,
        farm -> {
          long bytes = farm.download(jobId, target);
          err.println("Downloaded " + target + " (" + bytes + " bytes)");
          return 0;
        });
  }
}
