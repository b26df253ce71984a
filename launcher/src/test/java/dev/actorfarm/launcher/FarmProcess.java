package dev.actorfarm.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code farm} command run in its own JVM (the test's class path), with its output in a log file:
 * the unit a test kills with SIGKILL or stops with SIGTERM.
 */
final class FarmProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private FarmProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code farm args...} with the given {@code -D} settings. */
  static FarmProcess start(String name, Path log, List<String> properties, String... args)
      throws IOException {
    return start(name, log, c -> c, properties, args);
  }

  /**
   * Starts {@code farm args...} with the given {@code -D} settings, its command line passed through
   * {@code wrap} (to run it inside a namespace, say).
   */
  static FarmProcess start(
      String name,
      Path log,
      java.util.function.UnaryOperator<List<String>> wrap,
      List<String> properties,
      String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    // The executable's own logging (INFO to <data-dir>/farm.log; nodes also to stderr), not the
    // test class path's console-only logback-test.xml.
    cmd.add("-Dlogback.configurationFile=" + Farm.class.getResource("/logback.xml"));
    for (String p : properties) {
      cmd.add("-D" + p);
    }
    cmd.add("-cp");
    cmd.add(pathingJar().toString());
    cmd.add(Farm.class.getName());
    cmd.addAll(List.of(args));
    Files.createDirectories(log.getParent());
    Process p =
        new ProcessBuilder(wrap.apply(cmd))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new FarmProcess(name, p, log);
  }

  private static Path pathingJar;

  /**
   * A jar whose manifest lists the test's class path, as surefire itself runs tests: with the class
   * path spelled out on the command line instead (several KB), a native library of the farm's
   * dependencies crashes the JVM with SIGSEGV at start-up.
   */
  private static synchronized Path pathingJar() throws IOException {
    if (pathingJar == null) {
      StringBuilder cp = new StringBuilder();
      for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        if (!entry.isEmpty()) {
          cp.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
        }
      }
      java.util.jar.Manifest manifest = new java.util.jar.Manifest();
      manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
      manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, cp.toString());
      Path jar = Files.createTempFile("actorfarm-test-classpath", ".jar");
      jar.toFile().deleteOnExit();
      try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
        out.flush();
      }
      pathingJar = jar;
    }
    return pathingJar;
  }

  String name() {
    return name;
  }

  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Waits until the log has a line matching {@code regex}; returns the match. */
  Matcher awaitLog(String regex, Duration timeout) throws InterruptedException {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = p.matcher(log());
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited (" + process.exitValue() + "):\n" + tail());
      }
      Thread.sleep(50);
    }
    throw new AssertionError(name + ": no /" + regex + "/ within " + timeout + ":\n" + tail());
  }

  /** Lines of the log matching {@code regex}. */
  List<String> lines(String regex) {
    Predicate<String> p = Pattern.compile(regex).asPredicate();
    return log().lines().filter(p).toList();
  }

  /** SIGKILL: the process gets no chance to clean up. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM; returns whether the process exited within {@code timeout}. */
  boolean terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Waits for the process to exit; returns its exit code. */
  int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still running after " + timeout + ":\n" + tail());
    }
    return process.exitValue();
  }

  String tail() {
    List<String> lines = log().lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
