package dev.actorfarm.launcher;

import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code farm warm-up} (hidden): the class-data-sharing training run of the {@code farm} script. It
 * loads what a render loads, checking the bundled example's inputs (ImageIO, OpenCV, FFmpeg) and
 * starting and stopping a whole node (Kafka, Pekko, the roles) in a scratch directory, so that the
 * JVM's archive of those classes ({@code -XX:ArchiveClassesAtExit}) covers a render's start.
 */
@Command(
    name = "warm-up",
    hidden = true,
    description = "Load what a render loads, in a scratch directory (class-data-sharing training).")
public final class WarmUpCommand implements Callable<Integer> {

  @Option(names = "--portrait", required = true)
  Path portrait;

  @Option(names = "--audio", required = true)
  Path audio;

  @Override
  public Integer call() throws Exception {
    Path scratch = Files.createTempDirectory("actorfarm-warm-up");
    try {
      var config = FarmConfig.load(Map.of("actorfarm.data-dir", scratch.toString()));
      InputValidator.validate(portrait, audio, null, FarmSettings.create(config).limits());
      System.setProperty("actorfarm.log.dir", scratch.toString());
      try (EmbeddedFarm farm = EmbeddedFarm.start(config)) {
        farm.jobs().all();
      }
      return 0;
    } finally {
      new dev.actorfarm.runtime.blob.BlobStore(scratch).deleteTree(".");
    }
  }
}
