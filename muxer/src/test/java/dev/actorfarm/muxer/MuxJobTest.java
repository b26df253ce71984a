package dev.actorfarm.muxer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.render.SegmentEncoder;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.BlobStore;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MuxJobTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static ActorTestKit testKit;
  static BlobStore blobs;
  static final int FPS = 25;
  static final int[] WINDOW_FRAMES = {50, 50, 20};

  @BeforeAll
  static void setUp() throws Exception {
    broker = new TestBroker(dir.resolve("farm"));
    testKit = ActorTestKit.create(broker.config());
    blobs = new BlobStore(dir.resolve("blobs"));
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
    broker.close();
  }

  /** A 16-bit PCM WAV of a 440 Hz tone. */
  static void writeWav(Path file, double seconds, int rate) throws Exception {
    int n = (int) (seconds * rate);
    ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes());
    b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1);
    b.putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes()).putInt(2 * n);
    for (int i = 0; i < n; i++) {
      b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
    }
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(file.toFile()))) {
      out.write(b.array());
    }
  }

  /** Frame brightness encodes the frame's index in the job: 2 * index. */
  private static SegmentRendered segment(String jobId, int window, int firstFrame, int frames)
      throws Exception {
    String path = String.format("jobs/%s/segments/%06d.mp4", jobId, window);
    BlobRef ref =
        blobs.write(
            path,
            tmp -> {
              try (SegmentEncoder enc =
                  new SegmentEncoder(tmp, 64, 48, FPS, frames, "libopenh264", 2_000_000)) {
                for (int i = 0; i < frames; i++) {
                  double v = 2.0 * (firstFrame + i);
                  enc.write(new Mat(48, 64, opencv_core.CV_8UC3, new Scalar(v, v, v, 0)));
                }
              }
            });
    return SegmentRendered.newBuilder()
        .setHeader(Headers.create("SegmentRendered", jobId, "test", null))
        .setWindowIndex(window)
        .setFirstFrame(firstFrame)
        .setFrameCount(frames)
        .setSegment(ref)
        .build();
  }

  @Test
  void joinsSegmentsInOrderWithTheNarrationOnceAllArePresent() throws Exception {
    // Given a job of 120 frames (4.8 s) in three windows and its narration
    String jobId = "job-mux-1";
    Path audio = dir.resolve("tone.wav");
    writeWav(audio, 4.8, 22_050);
    JobSpec spec =
        JobSpec.newBuilder()
            .setJobId(jobId)
            .setAudio(blobs.importFile(audio, "inputs"))
            .setOptions(RenderOptions.newBuilder().setFps(FPS))
            .build();
    List<SegmentRendered> segments = new ArrayList<>();
    int first = 0;
    for (int w = 0; w < WINDOW_FRAMES.length; w++) {
      segments.add(segment(jobId, w, first, WINDOW_FRAMES[w]));
      first += WINDOW_FRAMES[w];
    }
    // and what killed writers left half-written: a moved entity's partial output, a segment
    Path staleOutput = blobs.resolve("blob:jobs/" + jobId + "/.tmp-1-output.mp4");
    Path staleSegment = blobs.resolve("blob:jobs/" + jobId + "/segments/.tmp-2-000001.mp4");
    java.nio.file.Files.writeString(staleOutput, "partial");
    java.nio.file.Files.writeString(staleSegment, "partial");
    ActorRef<MuxJob.Command> job =
        testKit.spawn(
            MuxJob.create(
                jobId,
                new MuxJob.Deps(
                    broker.kafka(),
                    blobs,
                    broker.settings(),
                    broker.jobs(),
                    Executors.newSingleThreadExecutor())));
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    // When segments arrive out of order, one twice, before and after the plan
    job.tell(new MuxJob.SegmentReady(segments.get(2).toByteArray(), probe.ref()));
    job.tell(new MuxJob.SegmentReady(segments.get(0).toByteArray(), probe.ref()));
    job.tell(new MuxJob.SegmentReady(segments.get(0).toByteArray(), probe.ref()));
    job.tell(
        new MuxJob.PlanReady(
            JobPlan.newBuilder()
                .setSpec(spec)
                .setTotalFrames(120)
                .setTotalWindows(3)
                .setWindowFrames(50)
                .build()
                .toByteArray(),
            probe.ref()));
    job.tell(new MuxJob.SegmentReady(segments.get(1).toByteArray(), probe.ref()));
    for (int i = 0; i < 5; i++) {
      assertThat(probe.receiveMessage().isSuccess()).isTrue();
    }
    // Then the job completes
    JobEvent done = awaitEvent(jobId, JobState.COMPLETED);
    assertThat(done.getTotalFrames()).isEqualTo(120);
    // and the output holds every frame in order, and the narration as AAC
    Path output = blobs.resolve(done.getOutput().getUri());
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(output.toFile())) {
      g.start();
      assertThat(g.getVideoCodecName()).isEqualTo("h264");
      assertThat(g.getAudioCodecName()).isEqualTo("aac");
      assertThat(g.getLengthInTime() / 1e6).isCloseTo(4.8, within(0.1));
      int index = 0;
      long lastTimestamp = -1;
      Frame f;
      while ((f = g.grabImage()) != null) {
        var idx = (org.bytedeco.javacpp.indexer.UByteIndexer) f.createIndexer();
        double luma = idx.get(24, 32, 1);
        idx.close();
        assertThat(luma).as("frame %d", index).isCloseTo(2.0 * index, within(6.0));
        assertThat(f.timestamp).isGreaterThan(lastTimestamp);
        lastTimestamp = f.timestamp;
        index++;
      }
      assertThat(index).isEqualTo(120);
    }
    // the half-written files are gone
    assertThat(staleOutput).doesNotExist();
    assertThat(staleSegment).doesNotExist();
    // progress was reported once per distinct window
    long progress =
        broker.readAll(Topics.JOB_EVENTS).stream()
            .filter(e -> e.getKey().equals(jobId) && e.getValue().getState() == JobState.RENDERING)
            .count();
    assertThat(progress).isEqualTo(3);
  }

  @Test
  void aRestartReadsTheJobsReportsFromItsFirstEventThroughTheTimeIndexNotFromTheBeginning()
      throws Exception {
    // Given a report of the job's id timestamped two hours ago (the farm's history) and one of now
    String jobId = "job-mux-since";
    long now = System.currentTimeMillis();
    SegmentRendered old = segment(jobId, 0, 0, 2);
    SegmentRendered recent = segment(jobId, 1, 2, 2);
    String bootstrap = broker.kafka().bootstrapServers();
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(
            dev.actorfarm.runtime.kafka.KafkaClients.with(
                Map.of(
                    "bootstrap.servers", bootstrap,
                    "key.serializer", org.apache.kafka.common.serialization.StringSerializer.class,
                    "value.serializer",
                        org.apache.kafka.common.serialization.ByteArraySerializer.class)))) {
      for (var r :
          List.of(Map.entry(now - Duration.ofHours(2).toMillis(), old), Map.entry(now, recent))) {
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    Topics.SEGMENTS.name(), null, r.getKey(), jobId, r.getValue().toByteArray()))
            .get();
      }
    }
    // When the entity rebuilds from the job's first event less the clock margin
    MuxJob.Rebuilt since = MuxJob.rebuild(bootstrap, jobId, now - MuxJob.CLOCK_MARGIN.toMillis());
    // Then it reads only what is that recent; from the beginning it would read both
    assertThat(since.segments()).extracting(SegmentRendered::getWindowIndex).containsExactly(1);
    assertThat(MuxJob.rebuild(bootstrap, jobId, -1).segments())
        .extracting(SegmentRendered::getWindowIndex)
        .containsExactly(0, 1);
    // and a job whose first event is later than every report reads none
    assertThat(MuxJob.rebuild(bootstrap, jobId, now + 60_000).segments()).isEmpty();
  }

  private static JobEvent awaitEvent(String jobId, JobState state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (Map.Entry<String, JobEvent> e : broker.readAll(Topics.JOB_EVENTS)) {
        if (e.getKey().equals(jobId) && e.getValue().getState() == state) {
          return e.getValue();
        }
        if (e.getKey().equals(jobId) && e.getValue().getState() == JobState.FAILED) {
          throw new AssertionError("job failed: " + e.getValue().getReason());
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + state + " event for " + jobId);
  }
}
