package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** A {@code farm} command it must refuse: one line, exit code 2, nothing left behind. */
final class CliRefusal {

  private CliRefusal() {}

  /** Runs {@code farm render ARGS --out ... --data-dir ...} under {@code dir}; its one line. */
  static String refused(Path dir, String... args) {
    Path out = dir.resolve("out/result.mp4");
    Path data = dir.resolve("data");
    List<String> argv = new ArrayList<>(List.of("render"));
    argv.addAll(List.of(args));
    argv.addAll(List.of("--out", out.toString(), "--data-dir", data.toString()));
    String message = refusedCommand(data, argv.toArray(String[]::new));
    assertThat(Files.exists(out)).isFalse();
    assertThat(Files.exists(out.getParent())).isFalse();
    return message;
  }

  /**
   * Runs {@code farm ARGV}, which must refuse it with exit code 2 and one line without a stack
   * trace, and make nothing at {@code data}; returns that line.
   */
  static String refusedCommand(Path data, String... argv) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(argv);
    String message = err.toString().trim();
    assertThat(code).as(message).isEqualTo(RenderCommand.EXIT_BAD_INPUT);
    assertThat(message.lines()).hasSize(1);
    assertThat(message)
        .startsWith("farm: error: ")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(Files.exists(data)).as("nothing is made for refused input").isFalse();
    return message;
  }
}
