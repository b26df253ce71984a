package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code farm broker} refuses bad arguments in one line, exit 2, before making its directory. */
class BrokerArgumentsTest {

  @TempDir Path dir;

  @Test
  void badVotersAndAdvertisedAddressesAreRefusedWithNothingLeftBehind() {
    assertThat(refused("--voters", "1@127.0.0.1")).contains("--voters").contains("id@host:port");
    assertThat(refused("--advertise", "10.77.0.1:9092")).contains("with --voters");
    assertThat(refused("--voters", "1@127.0.0.1:19091", "--advertise", "no port"))
        .contains("HOST:PORT")
        .contains("'no port'");
  }

  private String refused(String... args) {
    Path data = dir.resolve("broker");
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setErr(new PrintWriter(err, true));
    String[] all = java.util.Arrays.copyOf(new String[] {"broker"}, args.length + 3);
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--data-dir";
    all[args.length + 2] = data.toString();
    int code = cli.execute(all);
    String message = err.toString().trim();
    assertThat(code).as(message).isEqualTo(2);
    assertThat(message.lines()).hasSize(1);
    assertThat(message).startsWith("farm: error: ").doesNotContain("Exception");
    assertThat(Files.exists(data)).as("nothing is made for refused arguments").isFalse();
    return message;
  }
}
