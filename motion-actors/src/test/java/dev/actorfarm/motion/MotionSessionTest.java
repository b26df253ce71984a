package dev.actorfarm.motion;

import static dev.actorfarm.pack.ReferenceParameters.M;
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
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.JobPaths;
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
  static BlobStore blobs;
  static TestProbe<RenderScheduler.Command> scheduler;
  static final int W = 50;
  static final int D = 40;

  @BeforeAll
  static void setUp() throws Exception {
    broker = new TestBroker(dir.resolve("farm"));
    testKit = ActorTestKit.create(broker.config());
    ModelPack pack = ReferencePack.ensure(dir.resolve("pack"));
    generator = new MotionGeneratorStage(pack, "cpu", 1);
    blobs = new BlobStore(dir.resolve("blobs"));
    scheduler = testKit.createTestProbe();
    deps =
        new MotionSession.Deps(
            generator,
            broker.kafka(),
            broker.jobs(),
            "motion@test",
            Duration.ZERO,
            blobs,
            scheduler.ref(),
            Duration.ofMillis(50));
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
    broker.close();
  }

  /** Loud speech in every window's first half, silence in its second. */
  private static byte[] features(String jobId, int window, boolean last) {
    return features(jobId, window, last, 5);
  }

  private static byte[] features(String jobId, int window, boolean last, long seed) {
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
                .setOptions(RenderOptions.newBuilder().setFps(25).setSeed(seed)))
        .setWindowIndex(window)
        .setFirstFrame(window * W)
        .setFrameCount(last ? 20 : W)
        .setLast(last)
        .setFeatures(Tensors.ofFloats(f, 1, W, D))
        .build()
        .toByteArray();
  }

  /** An entity of {@code jobId} with credit to admit every window at once. */
  private static ActorRef<MotionSession.Command> spawn(String jobId) {
    ActorRef<MotionSession.Command> entity = testKit.spawn(MotionSession.create(jobId, deps));
    entity.tell(new MotionSession.Grant(1000));
    return entity;
  }

  /** The job's admitted windows, once {@code count} of them are in the render topic. */
  private static List<Map.Entry<String, MotionWindow>> admitted(String jobId, int count)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      List<Map.Entry<String, MotionWindow>> all =
          broker.readAll(Topics.MOTION_WINDOWS).stream()
              .filter(e -> e.getValue().getSpec().getJobId().equals(jobId))
              .toList();
      if (all.size() >= count || System.nanoTime() > deadline) {
        return all;
      }
      Thread.sleep(50);
    }
  }

  /**
   * The job's admitted windows as the render topic holds them now (after a wait that lets any
   * admission that should not happen show).
   */
  private static List<Map.Entry<String, MotionWindow>> admittedNow(String jobId) throws Exception {
    return broker.readAll(Topics.MOTION_WINDOWS).stream()
        .filter(e -> e.getValue().getSpec().getJobId().equals(jobId))
        .toList();
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
    ActorRef<MotionSession.Command> entity = spawn(jobId);
    // When windows 0, 1, a duplicate of 0, then the short last window 2 arrive
    assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 1, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 0, false).isSuccess()).isTrue();
    assertThat(send(entity, jobId, 2, true).isSuccess()).isTrue();
    // Then exactly three motion windows were published, keyed job/window
    List<Map.Entry<String, MotionWindow>> windows =
        admitted(jobId, 3).stream()
            .sorted(Comparator.comparingInt(e -> e.getValue().getWindowIndex()))
            .toList();
    assertThat(windows)
        .extracting(Map.Entry::getKey)
        .containsExactly(jobId + "/0", jobId + "/1", jobId + "/2");
    assertThat(windows.get(2).getValue().getMotion().getShapeList()).containsExactly(20L, (long) M);
    // and head motion is continuous across the window boundary (context carried)
    float[] w0 = Tensors.floats(windows.get(0).getValue().getMotion());
    float[] w1 = Tensors.floats(windows.get(1).getValue().getMotion());
    for (int c = 0; c < 5; c++) {
      float step = Math.abs(w1[c] - w0[(W - 1) * M + c]);
      float typical = Math.abs(w0[(W - 1) * M + c] - w0[(W - 2) * M + c]);
      assertThat(step).isLessThan(0.01f + 4 * typical);
    }
    // and the mouth is open in speech and closed in silence
    assertThat(w1[20 * M + 5]).isGreaterThan(0.8f);
    assertThat(w1[49 * M + 5]).isLessThan(0.05f);
    // and the last checkpoint says window 3 is next and the job is complete
    MotionCheckpoint cp =
        broker.readAll(Topics.MOTION_CHECKPOINTS).stream()
            .filter(e -> e.getKey().equals(jobId))
            .reduce((a, b) -> b)
            .orElseThrow()
            .getValue();
    assertThat(cp.getNextWindow()).isEqualTo(3);
    assertThat(cp.getCompleted()).isTrue();
    assertThat(cp.getContext().getShapeList()).containsExactly(2L, (long) M);
  }

  @Test
  void windowsThatArriveOutOfOrderAreHeldAndGeneratedInOrder() throws Exception {
    // Given a fresh entity, when windows 2 and 1 arrive before window 0 (retries reorder them)
    String jobId = "job-motion-2";
    ActorRef<MotionSession.Command> entity = spawn(jobId);
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
    assertThat(admitted(jobId, 3))
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(jobId + "/0", jobId + "/1", jobId + "/2");
    // with the same motion as windows sent in order
    ActorRef<MotionSession.Command> ordered = spawn("job-motion-2-ordered");
    for (int w = 0; w < 3; w++) {
      assertThat(send(ordered, "job-motion-2-ordered", w, w == 2).isSuccess()).isTrue();
    }
    admitted("job-motion-2-ordered", 3);
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(motionOf(all, jobId, 2)).containsExactly(motionOf(all, "job-motion-2-ordered", 2));
  }

  @Test
  void aRestartedEntityResumesFromItsCheckpointWithTheSameMotion() throws Exception {
    // Given job A generated without interruption, and job B (same inputs) whose entity is
    // stopped after window 1 (all it knew is gone)
    ActorRef<MotionSession.Command> a = spawn("job-resume-a");
    for (int w = 0; w < 3; w++) {
      assertThat(send(a, "job-resume-a", w, w == 2).isSuccess()).isTrue();
    }
    ActorRef<MotionSession.Command> b = spawn("job-resume-b");
    assertThat(send(b, "job-resume-b", 0, false).isSuccess()).isTrue();
    assertThat(send(b, "job-resume-b", 1, false).isSuccess()).isTrue();
    // (once its checkpoint records both windows as admitted: a crash before that admits again)
    awaitCheckpoint("job-resume-b", cp -> cp.getReleased() == 2);
    testKit.stop(b);
    // When a new entity of job B gets a redelivered window 1, then window 2
    ActorRef<MotionSession.Command> b2 = spawn("job-resume-b");
    assertThat(send(b2, "job-resume-b", 1, false).isSuccess()).isTrue();
    assertThat(send(b2, "job-resume-b", 2, true).isSuccess()).isTrue();
    admitted("job-resume-a", 3);
    admitted("job-resume-b", 3);
    // Then window 2 continues from the checkpoint: equal to the uninterrupted run's window 2,
    // and window 1 was not generated twice
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(motionOf(all, "job-resume-b", 2)).containsExactly(motionOf(all, "job-resume-a", 2));
    assertThat(all.stream().filter(e -> e.getKey().equals("job-resume-b/1")).count()).isEqualTo(1);
  }

  @Test
  void theSameSeedGivesTheSameMotionAndAnotherSeedOther() throws Exception {
    // Jobs a and b have the same inputs and seed (5); job c the same inputs and seed 6.
    for (String jobId : List.of("job-det-a", "job-det-b", "job-det-c")) {
      ActorRef<MotionSession.Command> entity = spawn(jobId);
      TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
      long seed = jobId.endsWith("c") ? 6 : 5;
      entity.tell(
          new MotionSession.GenerateWindow(jobId, 0, features(jobId, 0, false, seed), probe.ref()));
      assertThat(probe.receiveMessage(Duration.ofSeconds(20)).isSuccess()).isTrue();
      admitted(jobId, 1);
    }
    var all = broker.readAll(Topics.MOTION_WINDOWS);
    float[] a = motionOf(all, "job-det-a");
    float[] b = motionOf(all, "job-det-b");
    float[] c = motionOf(all, "job-det-c");
    assertThat(a).containsExactly(b);
    // The seed drives the head's motion (the noise): another seed moves the head differently.
    double differ = 0;
    for (int t = 0; t < W; t++) {
      for (int ch = 0; ch < 5; ch++) {
        differ = Math.max(differ, Math.abs(a[t * M + ch] - c[t * M + ch]));
      }
    }
    assertThat(differ).isGreaterThan(0.005);
  }

  @Test
  void windowsAreAdmittedOnlyWithinTheCreditAndAsTheyAreRendered() throws Exception {
    // Given an entity with a credit of 2 that generates all 5 windows of its job at once
    String jobId = "job-credit-1";
    ActorRef<MotionSession.Command> entity = testKit.spawn(MotionSession.create(jobId, deps));
    entity.tell(new MotionSession.Grant(2));
    for (int w = 0; w < 5; w++) {
      assertThat(send(entity, jobId, w, w == 4).isSuccess()).isTrue();
    }
    // Then only 2 windows reach the render topic, windows 0 and 1, and the other 3 are parked
    assertThat(admitted(jobId, 2))
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(jobId + "/0", jobId + "/1");
    Thread.sleep(500);
    assertThat(admittedNow(jobId)).hasSize(2);
    assertThat(blobs.resolve(BlobStore.SCHEME + JobPaths.motion(jobId, 4))).isRegularFile();
    // and the scheduler hears that 3 wait and 2 are in render
    awaitReport(jobId, r -> r.generated() == 5 && r.released() == 2 && r.inRender() == 2);
    // When window 0's segment lands, one more is admitted (window 2), not more
    rendered(jobId, 0);
    assertThat(admitted(jobId, 3)).extracting(Map.Entry::getKey).contains(jobId + "/2");
    Thread.sleep(500);
    assertThat(admittedNow(jobId)).hasSize(3);
    // When the credit is withdrawn (a pause), rendered windows free no new admission
    entity.tell(new MotionSession.Grant(0));
    rendered(jobId, 1);
    rendered(jobId, 2);
    Thread.sleep(500);
    assertThat(admittedNow(jobId)).hasSize(3);
    // and a restarted entity remembers what it admitted: it admits nothing twice
    testKit.stop(entity);
    ActorRef<MotionSession.Command> again = testKit.spawn(MotionSession.create(jobId, deps));
    awaitReport(jobId, r -> r.generated() == 5 && r.released() == 3 && r.inRender() == 0);
    // When credit returns, the rest is admitted, and once rendered the entity reports done
    again.tell(new MotionSession.Grant(5));
    assertThat(admitted(jobId, 5))
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(
            jobId + "/0", jobId + "/1", jobId + "/2", jobId + "/3", jobId + "/4");
    rendered(jobId, 3);
    rendered(jobId, 4);
    awaitReport(jobId, RenderScheduler.Report::done);
    // with the same motion as an entity that admitted every window at once
    ActorRef<MotionSession.Command> free = spawn("job-credit-free");
    for (int w = 0; w < 5; w++) {
      assertThat(send(free, "job-credit-free", w, w == 4).isSuccess()).isTrue();
    }
    var all = admitted("job-credit-free", 5);
    all = broker.readAll(Topics.MOTION_WINDOWS);
    assertThat(motionOf(all, jobId, 4)).containsExactly(motionOf(all, "job-credit-free", 4));
  }

  private static void awaitCheckpoint(
      String jobId, java.util.function.Predicate<MotionCheckpoint> what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      var last =
          broker.readAll(Topics.MOTION_CHECKPOINTS).stream()
              .filter(e -> e.getKey().equals(jobId))
              .reduce((x, y) -> y);
      if (last.isPresent() && what.test(last.get().getValue())) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no such checkpoint of " + jobId);
  }

  private static void rendered(String jobId, int window) throws Exception {
    blobs.write(
        JobPaths.segment(jobId, window), tmp -> java.nio.file.Files.write(tmp, new byte[1]));
  }

  private static void awaitReport(
      String jobId, java.util.function.Predicate<RenderScheduler.Report> what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      RenderScheduler.Command c = scheduler.receiveMessage(Duration.ofSeconds(20));
      if (c instanceof RenderScheduler.Report r && r.jobId().equals(jobId) && what.test(r)) {
        return;
      }
    }
    throw new AssertionError("no such report from " + jobId);
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
