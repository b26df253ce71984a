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
    Process p = start(log, jvmOptions, mainClass, args, false);
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

  /**
   * Starts {@code mainClass args} in a JVM of this class path, its output into {@code log}
   * (appended to it with {@code append}).
   */
  static Process start(
      Path log, List<String> jvmOptions, String mainClass, List<String> args, boolean append)
      throws IOException {
    return start(List.of(), log, jvmOptions, mainClass, args, append);
  }

  /** As {@link #start(Path, List, String, List, boolean)}, run by {@code prefix} (a namespace). */
  static Process start(
      List<String> prefix,
      Path log,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      boolean append)
      throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.getParent());
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(
            append
                ? ProcessBuilder.Redirect.appendTo(log.toFile())
                : ProcessBuilder.Redirect.to(log.toFile()))
        .start();
  }

  private static String pathingJar;

  /**
   * This JVM's class path for a child: as it is when it is one jar (the bench's own, whose manifest
   * lists the rest), else a jar whose manifest lists it, as surefire runs tests: a class path of
   * several KB spelled out on the command line makes a native library of the farm's dependencies
   * crash the child with SIGSEGV at start-up.
   */
  private static synchronized String classPath() throws IOException {
    String cp = System.getProperty("java.class.path");
    if (!cp.contains(java.io.File.pathSeparator)) {
      return cp;
    }
    if (pathingJar == null) {
      StringBuilder entries = new StringBuilder();
      for (String entry : cp.split(java.io.File.pathSeparator)) {
        if (!entry.isEmpty()) {
          entries.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
        }
      }
      java.util.jar.Manifest manifest = new java.util.jar.Manifest();
      manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
      manifest
          .getMainAttributes()
          .put(java.util.jar.Attributes.Name.CLASS_PATH, entries.toString());
      Path jar = Files.createTempFile("actorfarm-bench-classpath", ".jar");
      jar.toFile().deleteOnExit();
      try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
        out.flush();
      }
      pathingJar = jar.toString();
    }
    return pathingJar;
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
