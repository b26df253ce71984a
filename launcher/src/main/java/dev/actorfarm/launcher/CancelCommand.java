package dev.actorfarm.launcher;

import dev.actorfarm.runtime.blob.BlobStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code farm cancel JOB}: stops a job in every role and removes its intermediates. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancel a job: every role stops working on it within seconds and its files are removed.",
    })
public final class CancelCommand implements Callable<Integer> {

  @Parameters(paramLabel = "JOB", description = "Job id.")
  String jobId;

  @CommandLine.Mixin FarmConnection.Options farmOptions;

  @Option(
      names = "--blob-store",
      description = "Blob store root to remove the job's files from (default <data-dir>/blobs).")
  Path blobStore;

  @CommandLine.Mixin RemoteFarm.Options server;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (server.given()) {
      return server.run(
          err,
          farm -> {
            farm.cancel(jobId);
            err.println("Job " + jobId + " cancelled.");
            return 0;
          });
    }
    return farmOptions.onActiveJob(
        jobId,
        err,
        (client, states, settings) -> {
          client.cancel(jobId, "cancelled by user");
          // Nodes remove the files when they see the event; this covers a farm that is not
          // running.
          EmbeddedFarm.removeJobFiles(
              new BlobStore(blobStore != null ? blobStore.toAbsolutePath() : settings.blobRoot()),
              jobId);
          err.println("Job " + jobId + " cancelled.");
        });
  }
}
