package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.LivePortraitTwin;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.FarmConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The farm renders a LivePortrait-family pack end to end: the generated twin of
 * FasterLivePortrait's files in a folder with the shipped manifest template, driven by the farm's
 * reference motion. On decoded frames, the hand-annotated mouth region of the portrait follows the
 * jaw the reference generator made from the speech.
 */
class LivePortraitFarmTest {

  @TempDir Path dir;

  @Test
  void anAudioDrivenTwinPackRendersThroughTheFarmAndItsMouthFollowsTheSpeech() throws Exception {
    Path pack = dir.resolve("liveportrait");
    LivePortraitTwin.generate(pack);
    Path narration = FarmCli.excerpt(ReferenceRender.NARRATION, 6, dir.resolve("narration.wav"));
    try (var broker = new dev.actorfarm.runtime.TestBroker(dir.resolve("broker"))) {
      Map<String, Object> o =
          ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "lp");
      o.put("actorfarm.model-pack.dir", pack.toString());
      try (EmbeddedFarm farm = EmbeddedFarm.start(FarmConfig.load(o))) {
        JobClient client = new JobClient(farm.kafka(), farm.blobs(), "test");
        Path hopper = Path.of("../examples/portraits/hopper.jpg");
        var request =
            new JobClient.Request(hopper, narration, 10, 7, null, false, "liveportrait", 6.0);
        JobClient.Prepared job = client.prepare(request);
        // A calm head (5% of the default motion), so that what moves in the mouth box is the mouth.
        var spec = job.spec().toBuilder();
        spec.getOptionsBuilder().setHeadMotionScale(0.05f);
        job = new JobClient.Prepared(spec.build());
        dev.actorfarm.protocol.JobEvent last;
        try (JobClient.Follower f =
            client.submit(job, dev.actorfarm.runtime.jobs.JobStates.Controls.DEFAULT)) {
          last = f.follow(e -> {}, java.time.Duration.ofMinutes(4));
        }
        assertThat(last.getState()).as(last.toString()).isEqualTo(JobState.COMPLETED);
        DecodedVideo video = DecodedVideo.decode(farm.blobs().resolve(last.getOutput().getUri()));
        assertThat(video.frames()).hasSize(60);
        var mouth = AnnotatedPortraits.named(DrivingVideoTest.ANNOTATIONS, "hopper").mouth();
        float[][] motion =
            dev.actorfarm.runtime.motion.ParkedMotion.read(farm.blobs(), job.jobId());
        double[] jaw = DrivingFarm.channel(motion, DrivingVideoTest.JAW);
        // The mouth region's difference from the frame whose mouth is the most closed: it grows as
        // the mouth opens.
        double[] activity = DrivingVideoTest.mouthActivity(video, mouth, argMin(jaw));
        double r = DrivingFarm.correlation(activity, jaw);
        System.out.printf(Locale.ROOT, "LivePortrait twin: mouth follows the jaw, r = %.3f%n", r);
        assertThat(r).isGreaterThan(0.6);
      }
    }
  }

  static int argMin(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] < v[best]) {
        best = i;
      }
    }
    return best;
  }
}
