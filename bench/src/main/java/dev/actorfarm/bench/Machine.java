package dev.actorfarm.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A one-line description of the machine a benchmark ran on. */
final class Machine {

  private Machine() {}

  static String describe() {
    String cpu = grep(Path.of("/proc/cpuinfo"), "model name");
    String mem = grep(Path.of("/proc/meminfo"), "MemTotal");
    String os = grep(Path.of("/etc/os-release"), "PRETTY_NAME");
    long kib = mem.isEmpty() ? 0 : Long.parseLong(mem.replaceAll("[^0-9]", ""));
    return String.format(
        Locale.ROOT,
        "%d cores (%s), %.0f GiB, %s, Java %s, no GPU (CPU execution provider)",
        Runtime.getRuntime().availableProcessors(),
        cpu.isEmpty() ? "unknown CPU" : cpu,
        kib / 1024.0 / 1024.0,
        os.replace("\"", ""),
        System.getProperty("java.version"));
  }

  private static String grep(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          String v = line.substring(line.indexOf(line.contains(":") ? ':' : '=') + 1).trim();
          return v.replaceAll("\\s+", " ");
        }
      }
    } catch (java.io.IOException e) {
      // not Linux
    }
    return "";
  }
}
