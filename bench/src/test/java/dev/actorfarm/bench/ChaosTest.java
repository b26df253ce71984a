package dev.actorfarm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.protocol.JobState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos soak in small (the full one is {@code ./farm bench --sections chaos}): a farm of
 * separate processes on a 3-broker KRaft cluster, one motion/mux node and one render node, two jobs
 * of different priorities, and three faults: the first a SIGKILL of the active controller, the
 * second a network partition of one process and the third a delay of one process's Kafka traffic
 * (each process runs in a network namespace of its own, where the machine allows it: root). Every
 * job completes with the frames of its uninterrupted run, and nothing is left behind.
 */
class ChaosTest {

  @TempDir Path dir;

  @Test
  void aShortChaosRunWithTheActiveControllerKilledLosesNothing() throws Exception {
    Path pack = dir.resolve("pack");
    ReferencePack.ensure(pack);
    ChaosBench.Result r =
        ChaosBench.run(
            dir,
            pack,
            Path.of("../examples/astronaut.png"),
            Path.of("../examples/narration.ogg"),
            new ChaosBench.Plan(30, 128, List.of(8.0), 3, 4, 7, 1, 1, false, true, true));
    assertThat(r.faults()).hasSizeGreaterThanOrEqualTo(3);
    assertThat(r.faults().get(0).kind()).isEqualTo("SIGKILL");
    assertThat(r.faults().get(0).target()).contains("active controller");
    if (ChaosNetwork.unavailable() == null) {
      // every process in a network namespace of its own: the second fault cuts one off, the
      // third slows one's Kafka traffic
      assertThat(r.faults().get(1).kind()).isEqualTo("PARTITION");
      assertThat(r.faults().get(2).kind()).isEqualTo("DELAY");
      assertThat(r.heldBack()).as("chunks of Kafka traffic the delay held back").isPositive();
    } else {
      System.out.println("ChaosTest: no partition: " + ChaosNetwork.unavailable());
    }
    assertThat(r.jobs()).hasSize(2);
    assertThat(r.jobs())
        .allSatisfy(
            j -> {
              assertThat(j.state()).as(j.name()).isEqualTo(JobState.COMPLETED);
              assertThat(j.identical()).as(j.name() + " frames").isTrue();
            });
    assertThat(r.deadLetters()).isZero();
    assertThat(r.lag()).isZero();
    assertThat(r.tempBlobs()).isZero();
    assertThat(r.passed()).isTrue();
  }
}
