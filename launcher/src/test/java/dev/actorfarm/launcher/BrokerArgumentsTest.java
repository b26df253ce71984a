package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    List<String> argv = new ArrayList<>(List.of("broker"));
    argv.addAll(List.of(args));
    argv.addAll(List.of("--data-dir", data.toString()));
    return CliRefusal.refusedCommand(data, argv.toArray(String[]::new));
  }
}
