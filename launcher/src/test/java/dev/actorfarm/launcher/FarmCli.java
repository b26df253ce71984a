package dev.actorfarm.launcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** The {@code farm} command run in the test's JVM, and FFmpeg cuts of test media. */
final class FarmCli {

  private FarmCli() {}

  /** What a run printed and returned. */
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /**
   * The first {@code seconds} of {@code media} written to {@code out} by FFmpeg ({@code extra}
   * options before the output, such as {@code -c copy}).
   */
  static Path excerpt(Path media, double seconds, Path out, String... extra) throws Exception {
    java.util.List<String> cmd =
        new java.util.ArrayList<>(
            java.util.List.of(
                "ffmpeg", "-loglevel", "error", "-y", "-i", media.toString(), "-t", "" + seconds));
    cmd.addAll(java.util.List.of(extra));
    cmd.add(out.toString());
    int code = new ProcessBuilder(cmd).inheritIO().start().waitFor();
    if (code != 0) {
      throw new IllegalStateException("ffmpeg could not cut " + media + " (exit " + code + ")");
    }
    return out;
  }
}
