package dev.actorfarm.launcher;

import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The narration inputs {@code farm render} has checked in a data directory: a rerun of the same
 * command (the same bytes, face box and limits) takes the earlier result instead of decoding the
 * portrait, looking for its face and probing the audio again. Those checks are the longest step of
 * a resume after the broker's start, and on a machine of two cores they slow the broker down. A
 * record is a small properties file named by a hash of everything the result depends on, written
 * under a temporary name and renamed; one that cannot be read is checked again.
 */
final class CheckedInputs {

  /**
   * The logger, looked up only when there is something to say: looking it up starts the logging,
   * whose file is in the data directory that {@code farm render} names only after these checks.
   */
  private static Logger log() {
    return LoggerFactory.getLogger(CheckedInputs.class);
  }

  /** Changes when what a check finds changes (the checks, or this file's format). */
  private static final String FORMAT = "1";

  private final Path dir;
  private final String key;

  private CheckedInputs(Path dir, String key) {
    this.dir = dir;
    this.key = key;
  }

  /**
   * The record of {@code portrait} and {@code audio}, checked with {@code faceBox} under {@code
   * limits}, in {@code dataDir}. Hashes the two files' content.
   */
  static CheckedInputs of(
      Path dataDir, Path portrait, Path audio, FaceBox faceBox, FarmSettings.Limits limits)
      throws IOException {
    String key =
        JobClient.sha256Hex(
            FORMAT,
            BlobStore.sha256(portrait),
            BlobStore.sha256(audio),
            dev.actorfarm.protocol.FaceBoxes.key(faceBox),
            limits.toString());
    return new CheckedInputs(dataDir.resolve("checked-inputs"), key);
  }

  /** What the earlier check found, if these inputs were checked before. */
  Optional<InputValidator.Validated> lookup() {
    Path file = dir.resolve(key + ".properties");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Properties p = new Properties();
      p.load(in);
      FaceBox box =
          FaceBox.newBuilder()
              .setX(Integer.parseInt(p.getProperty("face.x")))
              .setY(Integer.parseInt(p.getProperty("face.y")))
              .setWidth(Integer.parseInt(p.getProperty("face.width")))
              .setHeight(Integer.parseInt(p.getProperty("face.height")))
              .build();
      return Optional.of(
          new InputValidator.Validated(
              box,
              Boolean.parseBoolean(p.getProperty("face.given")),
              Double.parseDouble(p.getProperty("audio.seconds")),
              Integer.parseInt(p.getProperty("portrait.width")),
              Integer.parseInt(p.getProperty("portrait.height"))));
    } catch (IOException | RuntimeException e) {
      log()
          .warn(
              "Cannot read the record of checked inputs {}; checking again: {}",
              file,
              e.toString());
      return Optional.empty();
    }
  }

  /** Records what the check found; a failure to write only costs the next run the check. */
  void store(InputValidator.Validated v) {
    Properties p = new Properties();
    p.setProperty("face.x", String.valueOf(v.faceBox().getX()));
    p.setProperty("face.y", String.valueOf(v.faceBox().getY()));
    p.setProperty("face.width", String.valueOf(v.faceBox().getWidth()));
    p.setProperty("face.height", String.valueOf(v.faceBox().getHeight()));
    p.setProperty("face.given", String.valueOf(v.faceGiven()));
    p.setProperty("audio.seconds", String.valueOf(v.audioSeconds()));
    p.setProperty("portrait.width", String.valueOf(v.width()));
    p.setProperty("portrait.height", String.valueOf(v.height()));
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".tmp-", ".properties");
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "farm render: inputs checked");
      }
      BlobStore.moveAtomically(tmp, dir.resolve(key + ".properties"));
    } catch (IOException e) {
      log().warn("Cannot record the checked inputs in {}: {}", dir, e.toString());
    }
  }
}
