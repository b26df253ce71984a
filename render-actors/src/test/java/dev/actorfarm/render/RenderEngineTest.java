package dev.actorfarm.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The render workers of a CPU node run one set of ONNX sessions: each engine keeps its own tensors,
 * they render at once with the frames one engine renders alone, and the sessions close with the
 * last of them.
 */
class RenderEngineTest {

  static final Path ASTRONAUT = Path.of("../examples/astronaut.png");
  static final int M = dev.actorfarm.pack.ReferenceParameters.M;

  @TempDir Path dir;

  @Test
  void enginesSharingSessionsRenderAtOnceTheFramesOfOneAlone() throws Exception {
    ModelPack pack = ModelPack.load(ReferencePack.ensure(dir.resolve("reference")).dir());
    FarmSettings settings = FarmSettings.create(FarmConfig.load());
    assertThat(RenderEngine.shareable(pack, settings)).isTrue();
    RenderEngine first = RenderEngine.open(pack, settings);
    RenderEngine second = first.sharingSessions();
    // Given two engines on one set of sessions, each with its own renderer
    assertThat(second.sourceEncoder).isSameAs(first.sourceEncoder);
    assertThat(second.renderer).isNotSameAs(first.renderer);
    SourceState state = first.source(ASTRONAUT, null, pack.manifest(), false);
    float[][] motions = new float[6][];
    float[][] alone = new float[6][];
    for (int i = 0; i < motions.length; i++) {
      motions[i] = motion(4, i);
      alone[i] = copy(first.renderer.render(state, motions[i], 4, M).frames());
    }
    // When both render the same batches at once, many times over
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Boolean>> runs = new ArrayList<>();
      for (RenderEngine engine : List.of(first, second)) {
        runs.add(pool.submit(sameFrames(engine, state, motions, alone)));
      }
      // Then each batch has the frames it had alone
      for (Future<Boolean> run : runs) {
        assertThat(run.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    // and the sessions outlive the first engine to close, and close with the last
    first.close();
    assertThat(
            java.util.Arrays.equals(
                copy(second.renderer.render(state, motions[0], 4, M).frames()), alone[0]))
        .isTrue();
    second.close();
    assertThatThrownBy(() -> second.sourceEncoder.getInputNames())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aCpuNodesPreparedEnginesShareTheFirstOnesSessionsAndAGpuNodesDoNot() throws Exception {
    ModelPack pack = ModelPack.load(ReferencePack.ensure(dir.resolve("reference")).dir());
    FarmSettings cpu = FarmSettings.create(FarmConfig.load());
    try (RenderEngine.Supply supply = RenderEngine.Supply.prepare(pack, cpu, 3, null)) {
      RenderEngine a = supply.get();
      RenderEngine b = supply.get();
      RenderEngine c = supply.get();
      assertThat(b.sourceEncoder).isSameAs(a.sourceEncoder);
      assertThat(c.sourceEncoder).isSameAs(a.sourceEncoder);
      a.close();
      b.close();
      c.close();
    }
    FarmSettings cuda =
        FarmSettings.create(
            ConfigFactory.parseMap(Map.of("actorfarm.model-pack.execution-provider", "cuda"))
                .withFallback(FarmConfig.load()));
    assertThat(RenderEngine.shareable(pack, cuda)).isFalse();
    FarmSettings threads =
        FarmSettings.create(
            ConfigFactory.parseMap(Map.of("actorfarm.model-pack.intra-op-threads", 2))
                .withFallback(FarmConfig.load()));
    assertThat(RenderEngine.shareable(pack, threads)).isFalse();
  }

  private static Callable<Boolean> sameFrames(
      RenderEngine engine, SourceState state, float[][] motions, float[][] alone) {
    return () -> {
      for (int round = 0; round < 10; round++) {
        for (int i = 0; i < motions.length; i++) {
          float[] frames = copy(engine.renderer.render(state, motions[i], 4, M).frames());
          if (!java.util.Arrays.equals(frames, alone[i])) {
            return false;
          }
        }
      }
      return true;
    };
  }

  /** {@code batch} frames of motion, each a different small head turn and mouth opening. */
  private static float[] motion(int batch, int seed) {
    float[] m = new float[batch * M];
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < M; j++) {
        m[b * M + j] = 0.02f * ((seed * 7 + b * 3 + j) % 5 - 2);
      }
    }
    return m;
  }

  private static float[] copy(FloatBuffer frames) {
    float[] out = new float[frames.remaining()];
    frames.duplicate().get(out);
    return out;
  }
}
