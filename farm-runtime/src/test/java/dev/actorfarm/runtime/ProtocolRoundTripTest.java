package dev.actorfarm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.DType;
import dev.actorfarm.protocol.DeadLetter;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.MotionCheckpoint;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Tensor;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolRoundTripTest {

  private static final JobSpec SPEC =
      JobSpec.newBuilder()
          .setJobId("job-1")
          .setPortrait(BlobRef.newBuilder().setUri("blob:a.png").setSha256("ab").setSize(3))
          .setAudio(BlobRef.newBuilder().setUri("blob:a.wav").setSha256("cd").setSize(4))
          .setOptions(
              RenderOptions.newBuilder()
                  .setFps(25)
                  .setSeed(7)
                  .setFaceBox(FaceBox.newBuilder().setX(1).setY(2).setWidth(3).setHeight(4)))
          .setModelPack("pack@1")
          .build();

  @Test
  void tensorsAreLittleEndianWithShape() {
    float[] values = {1f, -2.5f, 3.25f, 0f, 1e-7f, Float.MAX_VALUE};
    Tensor t = Tensors.ofFloats(values, 2, 3);
    assertThat(t.getDtype()).isEqualTo(DType.FLOAT32);
    assertThat(t.getShapeList()).containsExactly(2L, 3L);
    ByteBuffer raw = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(raw.getFloat(4)).isEqualTo(-2.5f);
    assertThat(Tensors.floats(t)).containsExactly(values);
    assertThatThrownBy(() -> Tensors.ofFloats(values, 4, 2)).hasMessageContaining("does not hold");
    Tensor truncated = t.toBuilder().setData(t.getData().substring(0, 8)).build();
    assertThatThrownBy(() -> Tensors.floats(truncated)).hasMessageContaining("bytes");
  }

  @Test
  void everyMessageRoundTripsThroughItsTopicParser() throws Exception {
    var header = Headers.create("T", "job-1", "test", "cause");
    assertRoundTrip(Topics.JOBS, JobRequested.newBuilder().setHeader(header).setSpec(SPEC).build());
    assertRoundTrip(
        Topics.JOB_PLANS,
        JobPlan.newBuilder()
            .setHeader(header)
            .setSpec(SPEC)
            .setTotalFrames(99)
            .setTotalWindows(2)
            .build());
    assertRoundTrip(
        Topics.AUDIO_FEATURES,
        AudioFeatures.newBuilder()
            .setHeader(header)
            .setSpec(SPEC)
            .setWindowIndex(3)
            .setLast(true)
            .setFeatures(Tensors.ofFloats(new float[] {1, 2}, 1, 1, 2))
            .build());
    assertRoundTrip(
        Topics.MOTION_WINDOWS,
        MotionWindow.newBuilder()
            .setHeader(header)
            .setSpec(SPEC)
            .setWindowIndex(1)
            .setFrameCount(50)
            .build());
    assertRoundTrip(
        Topics.SEGMENTS,
        SegmentRendered.newBuilder().setHeader(header).setWindowIndex(1).setWorker("w").build());
    assertRoundTrip(
        Topics.JOB_EVENTS,
        JobEvent.newBuilder().setHeader(header).setState(JobState.FAILED).setReason("bad").build());
    assertRoundTrip(
        Topics.MOTION_CHECKPOINTS,
        MotionCheckpoint.newBuilder().setHeader(header).setNextWindow(4).setRngCounter(4).build());
    assertRoundTrip(
        Topics.JOB_CONTROLS,
        dev.actorfarm.protocol.JobControl.newBuilder()
            .setHeader(header)
            .setPriority(90)
            .setPaused(true)
            .setMaxWorkers(2)
            .build());
    assertRoundTrip(
        Topics.SCHEDULE,
        dev.actorfarm.protocol.RenderSchedule.newBuilder()
            .setHeader(header)
            .setRenderSlots(4)
            .addJobs(
                dev.actorfarm.protocol.JobShare.newBuilder().setJobId("job-1").setCredit(3).build())
            .build());
    assertRoundTrip(
        Topics.DEAD_LETTERS,
        DeadLetter.newBuilder()
            .setHeader(header)
            .setValue(ByteString.copyFromUtf8("x"))
            .setReason("r")
            .build());
  }

  @Test
  void headersCarryIdsAndVersionAndTopicsAreUniqueAndNamed() {
    var a = Headers.create("T", "job-1", "src", null);
    var b = Headers.create("T", "job-1", "src", null);
    assertThat(a.getEventId()).isNotEqualTo(b.getEventId());
    assertThat(a.getSchemaVersion()).isEqualTo(Headers.SCHEMA_VERSION);
    assertThat(a.getTimestampMs()).isPositive();
    List<String> names = Topics.ALL.stream().map(Topic::name).toList();
    assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    assertThat(names).allMatch(n -> n.startsWith("farm."));
    assertThat(Topic.windowKey("job-1", 12)).isEqualTo("job-1/12");
  }

  @Test
  void garbageDoesNotParse() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    assertThatThrownBy(() -> Topics.MOTION_WINDOWS.parse(garbage))
        .isInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> Topics.JOBS.parse(null))
        .isInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
  }

  private static <V extends Message> void assertRoundTrip(Topic<V> topic, V value)
      throws Exception {
    assertThat(topic.parse(value.toByteArray())).isEqualTo(value);
  }
}
