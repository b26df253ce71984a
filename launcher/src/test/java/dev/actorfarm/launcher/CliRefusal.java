package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** {@code farm render} with input it must refuse: one line, exit code 2, nothing left behind. */
final class CliRefusal {

  private CliRefusal() {}

  /** Runs {@code farm render ARGS --out ... --data-dir ...} under {@code dir}; its one line. */
  static String refused(Path dir, String... args) {
    Path out = dir.resolve("out/result.mp4");
    Path data = dir.resolve("data");
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setErr(new PrintWriter(err, true));
    String[] all = java.util.Arrays.copyOf(new String[] {"render"}, args.length + 5);
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--out";
    all[args.length + 2] = out.toString();
    all[args.length + 3] = "--data-dir";
    all[args.length + 4] = data.toString();
    int code = cli.execute(all);
    String message = err.toString().trim();
    assertThat(code).as(message).isEqualTo(RenderCommand.EXIT_BAD_INPUT);
    assertThat(message.lines()).hasSize(1);
    assertThat(message)
        .startsWith("farm: error: ")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(Files.exists(out)).isFalse();
    assertThat(Files.exists(out.getParent())).isFalse();
    assertThat(Files.exists(data)).as("nothing is started for refused input").isFalse();
    return message;
  }
}
