package dev.actorfarm.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farm submit}: uploads a job to a running farm's API and prints its id. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submit a job to a running farm (farm serve) over its HTTP API and print the job id.",
      "With --watch, follow its progress; with --out, also download the video when it completes."
    })
public final class SubmitCommand implements Callable<Integer> {

  @Option(names = "--portrait", required = true, description = "Portrait image (PNG, JPEG, ...).")
  Path portrait;

  @Option(
      names = "--audio",
      description =
          "Narration (wav, mp3, flac, ogg, m4a, ...); with --driving, the sound track that"
              + " replaces the driving video's own.")
  Path audio;

  @Option(
      names = "--driving",
      description = "Driving video: the portrait performs its face, with its sound and frame rate.")
  Path driving;

  @Option(names = "--seed", description = "Seed of head motion and blinks (default 0).")
  Long seed;

  @Option(
      names = "--fps",
      description = "Output frame rate (default: the driving video's, or the pack's).")
  Integer fps;

  @Option(
      names = "--face-box",
      description = "Face box x,y,w,h in portrait pixels (skips face detection).")
  String faceBox;

  @Option(
      names = "--crop",
      description = "Output the animated face crop instead of the whole portrait.")
  boolean crop;

  @Option(
      names = "--client-token",
      description = "Idempotency token: submitting again with it returns the same job.")
  String clientToken;

  @Option(names = "--watch", description = "Follow the job's progress until it ends.")
  boolean watch;

  @Option(names = "--out", description = "Download the MP4 here once complete (implies --watch).")
  Path out;

  @CommandLine.Mixin JobControlCommands.SchedulingOptions scheduling;

  @CommandLine.Mixin DirectionOptions directionOptions;

  @CommandLine.Mixin RemoteFarm.Options server;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> fields = new LinkedHashMap<>();
    if (seed != null) {
      fields.put("seed", seed.toString());
    }
    if (fps != null) {
      fields.put("fps", fps.toString());
    }
    if (faceBox != null) {
      fields.put("face_box", faceBox);
    }
    if (crop) {
      fields.put("crop", "true");
    }
    if (clientToken != null) {
      fields.put("client_token", clientToken);
    }
    try {
      if (audio == null && driving == null) {
        throw new InputValidator.BadInputException(
            "give a narration with --audio or a driving video with --driving");
      }
      scheduling.controls();
      var direction = directionOptions.direction();
      if (direction != null) {
        // Checked here as far as it can be without the farm (times, labels, ranges); the farm
        // checks it against the narration's length and its pack.
        DirectionOptions.check(direction, 0, driving != null, null);
        fields.put("cues", dev.actorfarm.runtime.direction.Directions.toJson(direction));
      }
    } catch (InputValidator.BadInputException e) {
      err.println("farm: error: " + e.getMessage());
      return 2;
    }
    fields.put("priority", String.valueOf(scheduling.priority));
    fields.put("max_workers", String.valueOf(scheduling.maxWorkers));
    return server.run(
        err,
        farm -> {
          JsonNode job = farm.submit(portrait, audio, driving, fields);
          String id = job.path("id").asText();
          out.println(id);
          out.flush();
          if (!watch && this.out == null) {
            return 0;
          }
          JsonNode last = farm.watch(id, err, System.console() != null);
          if (!"COMPLETED".equals(last.path("state").asText())) {
            err.println(
                "farm: error: job "
                    + id
                    + " "
                    + last.path("state").asText().toLowerCase(java.util.Locale.ROOT)
                    + ": "
                    + last.path("error").asText());
            return 1;
          }
          if (this.out != null) {
            long bytes = farm.download(id, this.out);
            err.println("Downloaded " + this.out + " (" + bytes + " bytes)");
          }
          return 0;
        });
  }
}
