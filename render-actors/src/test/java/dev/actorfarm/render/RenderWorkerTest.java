package dev.actorfarm.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

class RenderWorkerTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static ActorTestKit testKit;
  static ModelPack pack;
  static BlobStore blobs;
  static final Path ASTRONAUT = Path.of("../examples/astronaut.png");
  static final int M = dev.actorfarm.pack.ReferenceParameters.M;

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

  private static byte[] window(String jobId, Path portrait, int frames) throws Exception {
    float[] motion = new float[frames * M];
    for (int t = frames / 2; t < frames; t++) {
      motion[t * M + 5] = 1f; // jaw open in the second half
    }
    return MotionWindow.newBuilder()
        .setHeader(Headers.create("MotionWindow", jobId, "test", null))
        .setSpec(
            JobSpec.newBuilder()
                .setJobId(jobId)
                .setPortrait(blobs.importFile(portrait, "inputs"))
                .setOptions(RenderOptions.newBuilder().setFps(25)))
        .setWindowIndex(3)
        .setFirstFrame(150)
        .setFrameCount(frames)
        .setMotion(Tensors.ofFloats(motion, frames, M))
        .build()
        .toByteArray();
  }

  private static StatusReply<Done> render(ActorRef<RenderWorker.Command> worker, byte[] record) {
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    worker.tell(new RenderWorker.RenderWindow(record, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(60));
  }

  @Test
  void rendersAWindowIntoOneSegmentPastedIntoThePortrait() throws Exception {
    // Given a render worker and a 12-frame window whose jaw opens half-way
    var cache = new SourceCache(4);
    ActorRef<RenderWorker.Command> worker =
        testKit.spawn(
            RenderWorker.create(
                broker.kafka(), blobs, pack, broker.settings(), broker.jobs(), cache));
    byte[] record = window("job-render-1", ASTRONAUT, 12);
    // When it renders the window
    assertThat(render(worker, record).isSuccess()).isTrue();
    // Then the segment is at the path of (job, window) and holds 12 portrait-sized frames
    Path segment =
        blobs.resolve(
            BlobStore.SCHEME + dev.actorfarm.runtime.blob.JobPaths.segment("job-render-1", 3));
    DecodedVideo video = DecodedVideo.decode(segment);
    assertThat(video.videoCodec()).isEqualTo("h264");
    assertThat(video.frames()).hasSize(12);
    assertThat(video.width()).isEqualTo(512);
    assertThat(video.height()).isEqualTo(512);
    // the face's lower half changes when the jaw opens, the image border does not
    var face = FaceLocator.detect(Portraits.read(ASTRONAUT)).orElseThrow().box();
    int mx = face.getX() + face.getWidth() / 4;
    int my = face.getY() + face.getHeight() * 6 / 10;
    double mouth = video.diff(2, 10, mx, my, face.getWidth() / 2, face.getHeight() / 2);
    double border = video.diff(2, 10, 0, 0, 512, 16);
    assertThat(mouth).isGreaterThan(8);
    assertThat(border).isLessThan(1.5);
    // and the report is on farm.segments
    List<SegmentRendered> reports =
        broker.readAll(Topics.SEGMENTS).stream()
            .map(Map.Entry::getValue)
            .filter(s -> s.getHeader().getJobId().equals("job-render-1"))
            .toList();
    assertThat(reports).hasSize(1);
    assertThat(reports.get(0).getFirstFrame()).isEqualTo(150);
    assertThat(reports.get(0).getSegment().getSha256()).isEqualTo(BlobStore.sha256(segment));
    assertThat(cache.size()).isEqualTo(1);

    // When the same window is delivered again
    long modified = Files.getLastModifiedTime(segment).toMillis();
    Thread.sleep(20);
    assertThat(render(worker, record).isSuccess()).isTrue();
    // Then it is reported again without being rendered again
    assertThat(Files.getLastModifiedTime(segment).toMillis()).isEqualTo(modified);
    assertThat(
            broker.readAll(Topics.SEGMENTS).stream()
                .filter(e -> e.getValue().getHeader().getJobId().equals("job-render-1"))
                .count())
        .isEqualTo(2);
  }

  @Test
  void aWorkerOnAnEngineWarmedUpAheadRendersTheSameFrames() throws Exception {
    // Given one worker that opens its sessions and one that takes them prepared and warmed up
    // on the portrait it is about to render, whose state is built ahead into the node's cache
    ActorRef<RenderWorker.Command> cold =
        testKit.spawn(
            RenderWorker.create(
                broker.kafka(), blobs, pack, broker.settings(), broker.jobs(), new SourceCache(4)));
    RenderEngine.Supply warmed =
        RenderEngine.Supply.prepare(
            pack,
            broker.settings(),
            1,
            new RenderEngine.Next(ASTRONAUT, BlobStore.sha256(ASTRONAUT), null, false));
    ActorRef<RenderWorker.Command> warm =
        testKit.spawn(
            RenderWorker.create(
                broker.kafka(), blobs, pack, broker.settings(), broker.jobs(), warmed));
    // When each renders the same window (of two jobs, so that neither finds the other's segment)
    assertThat(render(cold, window("job-cold", ASTRONAUT, 8)).isSuccess()).isTrue();
    assertThat(render(warm, window("job-warm", ASTRONAUT, 8)).isSuccess()).isTrue();
    // Then their frames are the same: the warm-up leaves nothing behind in the sessions
    var coldFrames =
        DecodedVideo.decode(
            blobs.resolve(
                BlobStore.SCHEME + dev.actorfarm.runtime.blob.JobPaths.segment("job-cold", 3)));
    var warmFrames =
        DecodedVideo.decode(
            blobs.resolve(
                BlobStore.SCHEME + dev.actorfarm.runtime.blob.JobPaths.segment("job-warm", 3)));
    assertThat(warmFrames.frames()).hasSize(8);
    assertThat(warmFrames.hashes()).isEqualTo(coldFrames.hashes());
    // and the warm worker took the state built ahead: the same key, so one entry
    assertThat(warmed.cache().size()).isEqualTo(1);
    warmed.close();
    // and the warm-up's synthetic batch does go through the reference pack's sessions
    try (RenderEngine engine = RenderEngine.open(pack, broker.settings())) {
      assertThat(engine.warmUp(pack, broker.settings(), null)).isTrue();
    }
  }

  @Test
  void aPortraitWithoutAFaceFailsTheWindowWithTheReason() throws Exception {
    Path cat = dir.resolve("plain.png");
    org.bytedeco.opencv.opencv_core.Mat grey =
        new org.bytedeco.opencv.opencv_core.Mat(
            200,
            200,
            org.bytedeco.opencv.global.opencv_core.CV_8UC3,
            new org.bytedeco.opencv.opencv_core.Scalar(90, 120, 150, 0));
    org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(cat.toString(), grey);
    ActorRef<RenderWorker.Command> worker =
        testKit.spawn(
            RenderWorker.create(
                broker.kafka(), blobs, pack, broker.settings(), broker.jobs(), new SourceCache(4)));
    StatusReply<Done> reply = render(worker, window("job-render-2", cat, 4));
    assertThat(reply.isError()).isTrue();
    assertThat(reply.getError().getMessage()).contains("no face found");
    assertThat(
            Files.exists(
                blobs.resolve(
                    BlobStore.SCHEME
                        + dev.actorfarm.runtime.blob.JobPaths.segment("job-render-2", 3))))
        .isFalse();
  }
}
