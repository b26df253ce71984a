package dev.actorfarm.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AudioIngestTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static ActorTestKit testKit;
  static ModelPack pack;
  static BlobStore blobs;

  @BeforeAll
  static void setUp() throws Exception {
    broker = new TestBroker(dir.resolve("farm"));
    testKit = ActorTestKit.create(broker.config());
    pack = ReferencePack.ensure(dir.resolve("pack"));
    blobs = new BlobStore(dir.resolve("blobs"));
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
    broker.close();
  }

  private static JobRequested job(String jobId, Path audio) throws Exception {
    return JobRequested.newBuilder()
        .setHeader(Headers.create("JobRequested", jobId, "test", null))
        .setSpec(
            JobSpec.newBuilder()
                .setJobId(jobId)
                .setAudio(blobs.importFile(audio, "inputs"))
                .setOptions(RenderOptions.newBuilder().setFps(25)))
        .build();
  }

  @Test
  void publishesOrderedFeatureWindowsAndThePlan() throws Exception {
    // Given a job whose narration is 1.37 s of speech (35 frames: one short window)
    var ingest =
        testKit.spawn(
            AudioIngest.create(broker.kafka(), blobs, pack, broker.settings(), broker.jobs()));
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    // When it is analysed
    ingest.tell(
        new AudioIngest.Ingest(
            job("job-audio", AudioDecoderTest.fixture("speech.flac")), probe.ref()));
    // Then it acknowledges, and the features and plan are on Kafka
    assertThat(probe.receiveMessage(java.time.Duration.ofSeconds(30)).isSuccess()).isTrue();
    List<AudioFeatures> features =
        broker.readAll(Topics.AUDIO_FEATURES).stream()
            .map(Map.Entry::getValue)
            .filter(f -> f.getSpec().getJobId().equals("job-audio"))
            .toList();
    JobPlan plan =
        broker.readAll(Topics.JOB_PLANS).stream()
            .map(Map.Entry::getValue)
            .filter(p -> p.getSpec().getJobId().equals("job-audio"))
            .findFirst()
            .orElseThrow();
    assertThat(plan.getTotalFrames()).isBetween(33, 36);
    assertThat(plan.getTotalWindows()).isEqualTo(1);
    assertThat(features).hasSize(1);
    AudioFeatures f = features.get(0);
    assertThat(f.getLast()).isTrue();
    assertThat(f.getFrameCount()).isEqualTo(plan.getTotalFrames());
    assertThat(f.getFeatures().getShapeList()).containsExactly(1L, 50L, 40L);
    // speech frames are louder than the zero padding after the audio
    float[] v = Tensors.floats(f.getFeatures());
    assertThat(v[10 * 40 + 10]).isGreaterThan(v[49 * 40 + 10] + 5);
  }

  @Test
  void aCorruptNarrationIsAnsweredWithTheReason() throws Exception {
    Path bad = dir.resolve("bad.ogg");
    Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    var ingest =
        testKit.spawn(
            AudioIngest.create(broker.kafka(), blobs, pack, broker.settings(), broker.jobs()));
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    ingest.tell(new AudioIngest.Ingest(job("job-bad", bad), probe.ref()));
    StatusReply<Done> reply = probe.receiveMessage(java.time.Duration.ofSeconds(30));
    assertThat(reply.isError()).isTrue();
    assertThat(reply.getError().getMessage()).contains("decode");
  }
}
