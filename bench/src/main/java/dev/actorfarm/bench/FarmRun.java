package dev.actorfarm.bench;

import dev.actorfarm.launcher.Farm;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@code farm render} in its own JVM with a fresh data directory and the pre-generated pack:
 * what a user runs, measured from the outside (process wall, peak RSS) and from its own report
 * (wall from submission to the output, time to the first rendered segment).
 */
record FarmRun(ChildRun process, double videoSeconds, double farmWall, double firstSegment) {

  static FarmRun run(
      String name, Path dir, List<String> jvm, Path packDir, Path portrait, Path audio)
      throws Exception {
    return run(name, dir, jvm, packDir, portrait, List.of("--audio", audio.toString()));
  }

  /**
   * A render of {@code portrait} driven by {@code source}: {@code --audio A} or {@code --driving
   * V}.
   */
  static FarmRun run(
      String name, Path dir, List<String> jvm, Path packDir, Path portrait, List<String> source)
      throws Exception {
    Path data = dir.resolve(name + "-data");
    if (java.nio.file.Files.exists(data)) {
      org.apache.commons.io.file.PathUtils.deleteDirectory(data);
    }
    List<String> options = new java.util.ArrayList<>(jvm);
    options.add("-Dactorfarm.model-pack.dir=" + packDir);
    ChildRun run =
        ChildRun.run(
            name,
            dir.resolve(name + ".log"),
            options,
            Farm.class.getName(),
            args(portrait, source, dir.resolve(name + ".mp4"), data));
    return new FarmRun(
        run,
        run.number("Done: \\S+\\s+([0-9.]+) s of video"),
        run.number("Farm: ([0-9.]+) s from submission"),
        run.number("first segment after ([0-9.]+) s"));
  }

  private static List<String> args(Path portrait, List<String> source, Path out, Path data) {
    List<String> a =
        new java.util.ArrayList<>(List.of("render", "--portrait", portrait.toString()));
    a.addAll(source);
    a.addAll(List.of("--out", out.toString(), "--data-dir", data.toString()));
    return a;
  }
}
