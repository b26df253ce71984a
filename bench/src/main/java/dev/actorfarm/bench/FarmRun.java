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
            List.of(
                "render",
                "--portrait",
                portrait.toString(),
                "--audio",
                audio.toString(),
                "--out",
                dir.resolve(name + ".mp4").toString(),
                "--data-dir",
                data.toString()));
    return new FarmRun(
        run,
        run.number("Done: \\S+\\s+([0-9.]+) s of video"),
        run.number("Farm: ([0-9.]+) s from submission"),
        run.number("first segment after ([0-9.]+) s"));
  }
}
