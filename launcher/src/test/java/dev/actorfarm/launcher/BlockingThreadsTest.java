package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.FarmConfig;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node's blocking threads: the shared ones plus one per render worker and analysis slot. */
class BlockingThreadsTest {

  private static int threads(EmbeddedFarm.Role... roles) {
    var config = FarmConfig.load(Map.of("actorfarm.render.workers", 4));
    var set =
        roles.length == 0 ? EnumSet.noneOf(EmbeddedFarm.Role.class) : EnumSet.of(roles[0], roles);
    return EmbeddedFarm.withBlockingThreads(config, set)
        .getInt("actorfarm.blocking-dispatcher.thread-pool-executor.fixed-pool-size");
  }

  @Test
  void everyLongTaskSlotOfTheNodeGetsAThreadOfItsOwn() {
    // 8 shared threads; 4 render workers; 8 audio and 2 video analysis slots (the defaults)
    assertThat(threads(EmbeddedFarm.Role.MOTION, EmbeddedFarm.Role.MUX)).isEqualTo(8);
    assertThat(threads(EmbeddedFarm.Role.RENDER)).isEqualTo(12);
    assertThat(threads(EmbeddedFarm.Role.AUDIO, EmbeddedFarm.Role.MOTION)).isEqualTo(16);
    assertThat(threads(EmbeddedFarm.Role.VIDEO)).isEqualTo(10);
    assertThat(threads(EmbeddedFarm.Role.values())).isEqualTo(22);
  }
}
