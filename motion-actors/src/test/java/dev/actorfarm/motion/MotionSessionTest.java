package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.MotionCheckpoint;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MotionSessionTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static ActorTestKit testKit;
  static MotionGeneratorStage generator;
  static MotionSession.Deps deps;
  static final int W = 50;
  static final int D = 40;

  @BeforeAll
  static void setUp() throws Exception {
    broker = new TestBroker(dir.resolve("farm"));
    testKit = ActorTestKit.create(broker.config());
    ModelPack pack = ReferencePack.ensure(dir.resolve("pack"));
    generator = new MotionGeneratorStage(pack, "cpu", 1);
    deps =
        new MotionSession.Deps(
            generator, broker.kafka(), broker.jobs(), "motion@test", Duration.ZERO);
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
    broker.close();
  }

  /** Loud speech in every window's first half, silence in its second. */
  private static byte[] features(String jobId, int window, boolean last) {
    float[] f = new float[W * D];
    for (int t = 0; t < W; t++) {
      for (int d = 0; d < D; d++) {
        f[t * D + d] = t < W / 2 ? 1f : -15f;
      }
    }
    return AudioFeatures.newBuilder()
        .setHeader(Headers.create("AudioFeatures", jobId, "test", null))
        .setSpec(
            JobSpec.newBuilder()
                .setJobId(jobId)
                .setOptions(RenderOptions.newBuilder().setFps(25).setSeed(5)))
        .setWindowIndex(window)
        .setFirstFrame(window * W)
        .setFrameCount(last ? 20 : W)
        .setLast(last)
        .setFeatures(Tensors.ofFloats(f, 1, W, D))
        .build()
        .toByteArray();
  }

  private static StatusReply<Done> send(
      ActorRef<MotionSession.Command> entity, String jobId, int window, boolean last) {
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    entity.tell(
        new MotionSession.GenerateWindow(
            jobId, window, features(jobId, window, last), probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(20));
  }

  @Test
  void generatesWindowsInOrderCarryingContextAndDedupes() throws Exception {
    // Given a fresh entity for a job
    String jobId = "job-motion-1";
    ActorRef<MotionSession.Command> entity = testKit.spawn(MotionSession.create(jobId, deps));
    // When windows 0, 1, a duplicate of 0, then the short last window 2 arrive
    assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 1, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 2, true).isSuccess()).isTrue();
    // Then exactly three motion windows were published, keyed job/window
    List<Map.Entry<String, MotionWindow>> windows =
        broker.readAll(Topics.MOTION_WINDOWS).stream()
            .filter(e -> e.getValue().getSpec().getJobId().equals(jobId))
            .sorted(Comparator.comparingInt(e -> e.getValue().getWindowIndex()))
            .toList();
    assertThat(windows)
        .extracting(Map.Entry::getKey)
        .containsExactly(jobId + "/0", jobId + "/1", jobId + "/2");
    assertThat(windows.get(2).getValue().getMotion().getShapeList()).containsExactly(20L, 9L);
    // and head motion is continuous across the window boundary (context carried)
    float[] w0 = Tensors.floats(windows.get(0).getValue().getMotion());
    float[] w1 = Tensors.floats(windows.get(1).getValue().getMotion());
    for (int c = 0; c < 5; c++) {
      float step = Math.abs(w1[c] - w0[(W - 1) * 9 + c]);
      float typical = Math.abs(w0[(W - 1) * 9 + c] - w0[(W - 2) * 9 + c]);
      assertThat(step).isLessThan(0.01f + 4 * typical);
    }
    // and the mouth is open in speech and closed in silence
    assertThat(w1[20 * 9 + 5]).isGreaterThan(0.8f);
    assertThat(w1[49 * 9 + 5]).isLessThan(0.05f);
    // and the last checkpoint says window 3 is next and the job is complete
    MotionCheckpoint cp =
        broker.readAll(Topics.MOTION_CHECKPOINTS).stream()
            .filter(e -> e.getKey().equals(jobId))
            .reduce((a, b) -> b)
            .orElseThrow()
            .getValue();
    assertThat(cp.getNextWindow()).isEqualTo(3);
    assertThat(cp.getCompleted()).isTrue();
    assertThat(cp.getContext().getShapeList()).containsExactly(2L, 9L);
  }

  @Test
  void windowsThatArriveOutOfOrderAreHeldAndGeneratedInOrder() throws Exception {
    // Given a fresh entity, when windows 2 and 1 arrive before window 0 (retries reorder them)
    String jobId = "job-motion-2";
    ActorRef<MotionSession.Command> entity = testKit.spawn(MotionSession.create(jobId, deps));
    TestProbe<StatusReply<Done>> p2 = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> p1 = testKit.createTestProbe();
    entity.tell(new MotionSession.GenerateWindow(jobId, 2, features(jobId, 2, true), p2.ref()));
    entity.tell(new MotionSession.GenerateWindow(jobId, 1, features(jobId, 1, false), p1.ref()));
    // Then they are not answered while window 0 is missing
    p2.expectNoMessage(Duration.ofMillis(500));
    p1.expectNoMessage(Duration.ZERO);
    // and once window 0 arrives, all three are generated, in order, and acknowledged
    assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    assertThat(p1.receiveMessage(Duration.ofSeconds(20)).isSuccess()).isTrue();
    assertThat(p2.receiveMessage(Duration.ofSeconds(20)).isSuccess()).isTrue();
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(all.stream().filter(e -> e.getKey().startsWith(jobId + "/")))
        .extracting(Map.Entry::getKey)
        .containsExactly(jobId + "/0", jobId + "/1", jobId + "/2");
    // with the same motion as windows sent in order
    ActorRef<MotionSession.Command> ordered =
        testKit.spawn(MotionSession.create("job-motion-2-ordered", deps));
    for (int w = 0; w < 3; w++) {
      assertThat(send(ordered, "job-motion-2-ordered", w, w == 2).isSuccess()).isTrue();
    }
    all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(motionOf(all, jobId, 2)).containsExactly(motionOf(all, "job-motion-2-ordered", 2));
  }

  @Test
  void aRestartedEntityResumesFromItsCheckpointWithTheSameMotion() throws Exception {
    // Given job A generated without interruption, and job B (same inputs) whose entity is
    // stopped after window 1 (all it knew is gone)
    ActorRef<MotionSession.Command> a = testKit.spawn(MotionSession.create("job-resume-a", deps));
    for (int w = 0; w < 3; w++) {
      assertThat(send(a, "job-resume-a", w, w == 2).isSuccess()).isTrue();
    }
    ActorRef<MotionSession.Command> b = testKit.spawn(MotionSession.create("job-resume-b", deps));
    assertThat(send(b, "job-resume-b", 0, false).isSuccess()).isTrue();
    assertThat(send(b, "job-resume-b", 1, false).isSuccess()).isTrue();
    testKit.stop(b);
    // When a new entity of job B gets a redelivered window 1, then window 2
    ActorRef<MotionSession.Command> b2 = testKit.spawn(MotionSession.create("job-resume-b", deps));
    assertThat(send(b2, "job-resume-b", 1, false).isSuccess()).isTrue();
    assertThat(send(b2, "job-resume-b", 2, true).isSuccess()).isTrue();
    // Then window 2 continues from the checkpoint: equal to the uninterrupted run's window 2,
    // and window 1 was not generated twice
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(motionOf(all, "job-resume-b", 2)).containsExactly(motionOf(all, "job-resume-a", 2));
    assertThat(all.stream().filter(e -> e.getKey().equals("job-resume-b/1")).count()).isEqualTo(1);
  }

  @Test
  void theSameJobGivesTheSameMotion() throws Exception {
    for (String jobId : List.of("job-det-a", "job-det-b")) {
      ActorRef<MotionSession.Command> entity = testKit.spawn(MotionSession.create(jobId, deps));
      assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    }
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    float[] a = motionOf(all, "job-det-a");
    float[] b = motionOf(all, "job-det-b");
    assertThat(a).containsExactly(b);
  }

  private static float[] motionOf(List<Map.Entry<String, MotionWindow>> all, String jobId) {
    return motionOf(all, jobId, 0);
  }

  private static float[] motionOf(
      List<Map.Entry<String, MotionWindow>> all, String jobId, int window) {
    return Tensors.floats(
        all.stream()
            .filter(e -> e.getKey().equals(jobId + "/" + window))
            .findFirst()
            .orElseThrow()
            .getValue()
            .getMotion());
  }
}
