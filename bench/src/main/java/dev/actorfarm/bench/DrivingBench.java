package dev.actorfarm.bench;

import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.video.DrivingAnalysis;
import dev.actorfarm.video.FaceLandmarks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The driving-video section: a driving video whose motion is known (the farm's own render of the
 * example, its motion windows kept), letterboxed to 720p and looped; the analysis alone on a minute
 * of it (frames per second on one thread), then the farm driving another portrait with all of it,
 * and the extracted motion against the known motion over every loop.
 */
record DrivingBench(
    double analysisFps,
    long analysisFrames,
    FarmRun run,
    double videoSeconds,
    int loops,
    double jaw,
    double yaw,
    double roll,
    double pitch,
    int blinks,
    int blinksFound) {

  static final Path HOPPER = Path.of("examples/portraits/hopper.jpg");

  static DrivingBench run(Path work, Path packDir, FarmSettings settings, double minutes)
      throws Exception {
    Path dir = work.resolve("driving");
    Files.createDirectories(dir);
    System.out.println("Driving video: the known motion (the example, rendered) ...");
    FarmRun.run(
        "driving-source",
        dir,
        Bench.FARM_JVM,
        packDir,
        Bench.PORTRAIT,
        List.of("--audio", Bench.NARRATION.toString()));
    float[][] known = motion(dir.resolve("driving-source-data"));
    Path source = dir.resolve("driving-source.mp4");
    int loops = (int) Math.ceil(minutes * 60 * 25 / known.length);
    double seconds = loops * known.length / 25.0;
    Path sound = Inputs.loopedNarration(Bench.NARRATION, seconds, work.resolve("inputs"));
    Path video = dir.resolve(String.format(java.util.Locale.ROOT, "driving-720p-%d.mp4", loops));
    Path minute = dir.resolve("driving-720p-3.mp4");
    System.out.println("Driving video: 720p, " + loops + " loops ...");
    letterbox720(source, sound, loops, video);
    letterbox720(source, null, 3, minute);
    System.out.println("Driving video: analysis alone on " + 3 * known.length + " frames ...");
    FaceLandmarks landmarks = FaceLandmarks.load(settings.video().landmarkModel());
    long t0 = System.nanoTime();
    DrivingAnalysis.Result a =
        new DrivingAnalysis(landmarks).run(minute, 25, 50, s -> {}, (i, m, f) -> {});
    double analysisFps = a.decodedFrames() / ((System.nanoTime() - t0) / 1e9);
    System.out.println("Driving video: the farm on " + Bench.trim(seconds) + " s ...");
    FarmRun run =
        FarmRun.run(
            "driving-" + loops + "x",
            dir,
            Bench.FARM_JVM,
            packDir,
            HOPPER,
            List.of("--driving", video.toString()));
    float[][] got = motion(dir.resolve("driving-" + loops + "x-data"));
    int n = got.length;
    double[][] k = new double[5][n];
    double[][] g = new double[5][n];
    int[] channels = {5, 0, 2, 7, 1}; // jaw_open, head_yaw, head_roll, eyelid_close, head_pitch
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < channels.length; c++) {
        k[c][i] = known[i % known.length][channels[c]];
        g[c][i] = got[i][channels[c]];
      }
    }
    List<Integer> blinks = dev.actorfarm.runtime.motion.ParkedMotion.peaks(k[3], 0.5);
    List<Integer> found = dev.actorfarm.runtime.motion.ParkedMotion.peaks(g[3], 0.35);
    int matched = 0;
    for (int b : blinks) {
      if (found.stream().anyMatch(f -> Math.abs(f - b) <= 2)) {
        matched++;
      }
    }
    return new DrivingBench(
        analysisFps,
        a.decodedFrames(),
        run,
        seconds,
        loops,
        Fidelity.pearson(k[0], g[0]),
        Fidelity.pearson(k[1], g[1]),
        Fidelity.pearson(k[2], g[2]),
        Fidelity.pearson(k[4], g[4]),
        blinks.size(),
        matched);
  }

  /**
   * {@code loops} times the 512² video, scaled to 720² in the middle of a black 1280×720 frame,
   * H.264 at 25 fps, with {@code sound} (a WAV) as AAC when given.
   */
  static void letterbox720(Path source, Path sound, int loops, Path out) throws Exception {
    if (Files.isRegularFile(out)) {
      return;
    }
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp.mp4");
    try (FFmpegFrameRecorder rec =
            new FFmpegFrameRecorder(tmp.toFile(), 1280, 720, sound == null ? 0 : 1);
        OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat();
        Mat canvas =
            new Mat(
                720, 1280, org.bytedeco.opencv.global.opencv_core.CV_8UC3, new Scalar(0, 0, 0, 0));
        Mat scaled = new Mat()) {
      rec.setFormat("mp4");
      rec.setFrameRate(25);
      rec.setVideoCodec(avcodec.AV_CODEC_ID_H264);
      rec.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
      rec.setVideoOption("preset", "ultrafast");
      rec.setVideoOption("crf", "20");
      if (sound != null) {
        rec.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
        rec.setSampleRate(Inputs.RATE);
        rec.setAudioBitrate(64_000);
      }
      rec.start();
      Mat roi = canvas.apply(new Rect(280, 0, 720, 720));
      for (int l = 0; l < loops; l++) {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toFile())) {
          g.start();
          Frame f;
          while ((f = g.grabImage()) != null) {
            opencv_imgproc.resize(conv.convert(f), scaled, new Size(720, 720));
            scaled.copyTo(roi);
            rec.record(conv.convert(canvas));
          }
        }
      }
      if (sound != null) {
        try (FFmpegFrameGrabber a = new FFmpegFrameGrabber(sound.toFile())) {
          a.start();
          Frame f;
          while ((f = a.grabSamples()) != null) {
            rec.recordSamples(f.sampleRate, f.audioChannels, f.samples);
          }
        }
      }
    }
    Files.move(tmp, out);
  }

  /** The motion a farm run rendered (its one job's parked windows), {@code [frames][M]}. */
  static float[][] motion(Path data) throws Exception {
    Path jobs = data.resolve("blobs/jobs");
    Path job;
    try (var list = Files.list(jobs)) {
      job = list.filter(Files::isDirectory).findFirst().orElseThrow();
    }
    return dev.actorfarm.runtime.motion.ParkedMotion.read(
        new dev.actorfarm.runtime.blob.BlobStore(data.resolve("blobs")),
        job.getFileName().toString());
  }
}
