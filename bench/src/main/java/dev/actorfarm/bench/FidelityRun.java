package dev.actorfarm.bench;

import dev.actorfarm.launcher.Farm;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The fidelity harness: every annotated portrait with a face rendered by {@code farm render} (the
 * embedded farm, in this JVM) speaking the narration after a second of silence, then measured on
 * the decoded output ({@link Fidelity}).
 */
final class FidelityRun {

  /** Silence before the narration: the first frames show the rest pose. */
  static final double LEAD_SECONDS = 1.2;

  private FidelityRun() {}

  /**
   * Renders and measures {@code portraits} (those with a face). With {@code videos} given, measures
   * the {@code <portrait>.mp4} found there (rendered by another build, say) instead of rendering; a
   * portrait without one is left out, with a line saying so.
   */
  static List<Fidelity> run(
      List<Portrait> portraits,
      Path narration,
      double seconds,
      Path packDir,
      Path work,
      FarmSettings settings,
      Path videos)
      throws Exception {
    int window = ModelPack.load(packDir).manifest().motionGenerator().windowFrames();
    Path audio =
        Inputs.silenceThenNarration(narration, LEAD_SECONDS, seconds, work.resolve("inputs"));
    List<Fidelity> out = new ArrayList<>();
    for (Portrait p : portraits) {
      if (p.noFace()) {
        continue;
      }
      System.out.println("Fidelity: " + p.name() + " (" + p.kind() + ") ...");
      Path video =
          videos == null
              ? render(p, audio, packDir, work.resolve("fidelity"))
              : videos.resolve(p.name() + ".mp4");
      if (!java.nio.file.Files.isRegularFile(video)) {
        System.out.println("  no video " + video + ": left out");
        continue;
      }
      Fidelity f =
          Fidelity.measure(
              p,
              video,
              audio,
              work.resolve("fidelity/sheets"),
              window,
              settings.render().videoCodec(),
              settings.render().bitsPerMegapixel());
      System.out.println("  " + f);
      out.add(f);
    }
    return out;
  }

  static List<Portrait> set(Path annotations) throws IOException {
    return AnnotatedPortraits.read(annotations);
  }

  /**
   * {@code farm render} of one portrait; its --face-box is the annotation's where it asks for one.
   */
  static Path render(Portrait p, Path audio, Path packDir, Path dir) throws IOException {
    return render(p, audio, packDir, dir, p.name(), List.of());
  }

  /** As {@link #render(Portrait, Path, Path, Path)}, as {@code name}, with more arguments. */
  static Path render(Portrait p, Path audio, Path packDir, Path dir, String name, List<String> more)
      throws IOException {
    Path video = dir.resolve(name + ".mp4");
    Path data = dir.resolve(name + "-data");
    // A fresh job each time: an earlier run's data directory would resume (and return) its output.
    if (java.nio.file.Files.exists(data)) {
      org.apache.commons.io.file.PathUtils.deleteDirectory(data);
    }
    java.nio.file.Files.deleteIfExists(video);
    List<String> args =
        new ArrayList<>(
            List.of(
                "render",
                "--portrait",
                p.file().toString(),
                "--audio",
                audio.toString(),
                "--out",
                video.toString(),
                "--data-dir",
                data.toString(),
                "--model-pack",
                packDir.toString()));
    if (p.faceBoxOption()) {
      var b = p.face();
      args.add("--face-box");
      args.add(
          String.format(
              java.util.Locale.ROOT,
              "%d,%d,%d,%d",
              Math.round(b.x()),
              Math.round(b.y()),
              Math.round(b.width()),
              Math.round(b.height())));
    }
    args.addAll(more);
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args.toArray(String[]::new));
    if (code != 0) {
      throw new IOException("farm render of " + p.name() + " exited with " + code + ": " + err);
    }
    return video;
  }
}
