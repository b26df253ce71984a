package dev.actorfarm.launcher;

import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.jobs.JobStates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * One embedded farm for the driving-video tests, with helpers to submit jobs, read the motion the
 * farm made for a job (parked per window in the blob store) and write test videos with FFmpeg.
 */
final class DrivingFarm implements AutoCloseable {

  final dev.actorfarm.runtime.TestBroker broker;
  final EmbeddedFarm farm;
  final JobClient client;

  DrivingFarm(Path dir) throws Exception {
    broker = new dev.actorfarm.runtime.TestBroker(dir.resolve("broker"));
    Map<String, Object> o =
        ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "driving");
    farm = EmbeddedFarm.start(FarmConfig.load(o));
    client = new JobClient(farm.kafka(), farm.blobs(), "test");
  }

  /** A finished job: its id, its output file and its last event. */
  record Done(String jobId, Path output, JobEvent event) {}

  /** Submits {@code request} (its spec changed by {@code edit}) and waits for the end. */
  Done run(JobClient.Request request, UnaryOperator<dev.actorfarm.protocol.JobSpec> edit)
      throws Exception {
    JobClient.Prepared job = client.prepare(request);
    job = new JobClient.Prepared(edit.apply(job.spec()));
    JobEvent last;
    try (JobClient.Follower f = client.submit(job, JobStates.Controls.DEFAULT)) {
      last = f.follow(e -> {}, Duration.ofMinutes(5));
    }
    Path out =
        last.getState() == JobState.COMPLETED
            ? farm.blobs().resolve(last.getOutput().getUri())
            : null;
    return new Done(job.jobId(), out, last);
  }

  Done run(JobClient.Request request) throws Exception {
    return run(request, s -> s);
  }

  /** The motion the farm rendered for a job, frame by frame: {@code [frames][M]}. */
  float[][] motion(String jobId) throws Exception {
    return dev.actorfarm.runtime.motion.ParkedMotion.read(farm.blobs(), jobId);
  }

  /** Column {@code c} of a motion. */
  static double[] channel(float[][] motion, int c) {
    double[] out = new double[motion.length];
    for (int i = 0; i < motion.length; i++) {
      out[i] = motion[i][c];
    }
    return out;
  }

  static double correlation(double[] a, double[] b) {
    return new org.apache.commons.math3.stat.correlation.PearsonsCorrelation().correlation(a, b);
  }

  /** A piece of a test video: the first {@code frames} of an MP4, or an image shown that long. */
  record Part(Path file, int frames) {}

  /**
   * Writes a video of {@code parts} joined one after another, at {@code fps}, with the sound of
   * {@code sound} (null: no audio track).
   */
  static void join(Path out, int fps, Path sound, Part... parts) throws Exception {
    int w = 512;
    int h = 512;
    try (FFmpegFrameRecorder rec =
        new FFmpegFrameRecorder(out.toFile(), w, h, sound == null ? 0 : 1)) {
      rec.setFormat("mp4");
      rec.setFrameRate(fps);
      rec.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264);
      rec.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P);
      rec.setVideoOption("preset", "ultrafast");
      rec.setVideoQuality(18);
      if (sound != null) {
        rec.setAudioCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC);
        rec.setSampleRate(16_000);
      }
      rec.start();
      var toMat = new org.bytedeco.javacv.OpenCVFrameConverter.ToMat();
      for (Part part : parts) {
        if (part.file().toString().endsWith(".mp4")) {
          try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(part.file().toFile())) {
            g.start();
            Frame f;
            int n = 0;
            while (n++ < part.frames() && (f = g.grabImage()) != null) {
              rec.record(fit(toMat, toMat.convert(f), w, h));
            }
          }
        } else {
          var img = dev.actorfarm.render.Portraits.read(part.file());
          Frame f = fit(toMat, img, w, h);
          for (int i = 0; i < part.frames(); i++) {
            rec.record(f);
          }
        }
      }
      if (sound != null) {
        try (FFmpegFrameGrabber a = new FFmpegFrameGrabber(sound.toFile())) {
          a.setSampleMode(org.bytedeco.javacv.FrameGrabber.SampleMode.FLOAT);
          a.setSampleRate(16_000);
          a.setAudioChannels(1);
          a.start();
          Frame f;
          while ((f = a.grabSamples()) != null) {
            rec.recordSamples(f.sampleRate, 1, f.samples);
          }
        }
      }
    }
  }

  private static Frame fit(
      org.bytedeco.javacv.OpenCVFrameConverter.ToMat toMat,
      org.bytedeco.opencv.opencv_core.Mat m,
      int w,
      int h) {
    var out = new org.bytedeco.opencv.opencv_core.Mat();
    org.bytedeco.opencv.global.opencv_imgproc.resize(
        m, out, new org.bytedeco.opencv.opencv_core.Size(w, h));
    return toMat.convert(out);
  }

  @Override
  public void close() {
    farm.close();
    broker.close();
  }
}
