package dev.actorfarm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One measured run of a Java main class in its own JVM (this JVM's class path): wall time and peak
 * resident memory (the kernel's VmHWM of the child, sampled until it exits), with its output kept.
 */
record ChildRun(String name, double wallSeconds, long peakRssKib, int exitCode, String output) {

  /** Runs {@code mainClass args} with {@code jvmOptions}; fails if it exits non-zero. */
  static ChildRun run(
      String name, Path log, List<String> jvmOptions, String mainClass, List<String> args)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    Process p = start(log, jvmOptions, mainClass, args);
    Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
    long peak = 0;
    while (!p.waitFor(20, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, vmHwm(status));
    }
    double wall = (System.nanoTime() - started) / 1e9;
    String output = Files.readString(log, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(name + " exited with " + p.exitValue() + "; see " + log);
    }
    return new ChildRun(name, wall, peak, p.exitValue(), output);
  }

  /** Starts {@code mainClass args} in a JVM of this class path, its output into {@code log}. */
  static Process start(Path log, List<String> jvmOptions, String mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.getParent());
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** The first group of {@code regex} in the output, as a number. */
  double number(String regex) {
    Matcher m = Pattern.compile(regex).matcher(output);
    if (!m.find()) {
      throw new IllegalStateException(name + ": no /" + regex + "/ in its output");
    }
    return Double.parseDouble(m.group(1));
  }

  double peakRssMib() {
    return peakRssKib / 1024.0;
  }

  private static long vmHwm(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is exiting
    }
    return 0;
  }
}
