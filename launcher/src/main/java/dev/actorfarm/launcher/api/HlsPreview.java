package dev.actorfarm.launcher.api;

import dev.actorfarm.runtime.blob.BlobStore;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The live preview of a job as HLS: the playlist lists the contiguous prefix of rendered windows
 * (it grows as segments land, and ends when the job is complete), and each HLS segment is one
 * window's video, copied from its MP4 without re-encoding, with that window's slice of the
 * narration encoded as AAC, in MPEG-TS. Segments are made on first request and kept in the blob
 * store beside the job's other files (removed with them on cancel).
 */
public final class HlsPreview {

  private static final Pattern SEGMENT = Pattern.compile("(\\d{6})\\.mp4");
  private static final int SAMPLE_RATE = 48_000;
  private static final int AUDIO_BITRATE = 96_000;

  private final BlobStore blobs;

  /** Frames per rendered segment file, by path: probing a file once is enough. */
  private final Map<Path, Integer> frameCounts = new ConcurrentHashMap<>();

  public HlsPreview(BlobStore blobs) {
    this.blobs = blobs;
  }

  /** One window of the contiguous prefix: its segment file and where it sits in the job. */
  public record Window(int index, Path segment, int firstFrame, int frameCount) {}

  /** The windows rendered so far, from window 0 up to the first one missing. */
  public List<Window> prefix(Path segmentsDir) throws IOException {
    List<Window> out = new ArrayList<>();
    if (!Files.isDirectory(segmentsDir)) {
      return out;
    }
    java.util.TreeMap<Integer, Path> files = new java.util.TreeMap<>();
    try (Stream<Path> list = Files.list(segmentsDir)) {
      list.forEach(
          p -> {
            Matcher m = SEGMENT.matcher(p.getFileName().toString());
            if (m.matches()) {
              files.put(Integer.parseInt(m.group(1)), p);
            }
          });
    }
    int frame = 0;
    for (int i = 0; files.containsKey(i); i++) {
      Path p = files.get(i);
      int frames = frameCount(p);
      out.add(new Window(i, p, frame, frames));
      frame += frames;
    }
    return out;
  }

  /** The media playlist of the prefix; {@code complete} adds the end marker. */
  public static String playlist(List<Window> windows, int fps, boolean complete) {
    double longest = 1;
    for (Window w : windows) {
      longest = Math.max(longest, w.frameCount() / (double) fps);
    }
    StringBuilder b = new StringBuilder();
    b.append("#EXTM3U\n")
        .append("#EXT-X-VERSION:3\n")
        .append("#EXT-X-PLAYLIST-TYPE:EVENT\n")
        .append("#EXT-X-TARGETDURATION:")
        .append((int) Math.ceil(longest))
        .append('\n')
        .append("#EXT-X-MEDIA-SEQUENCE:0\n");
    for (Window w : windows) {
      b.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", w.frameCount() / (double) fps))
          .append(String.format(Locale.ROOT, "%06d.ts%n", w.index()));
    }
    if (complete) {
      b.append("#EXT-X-ENDLIST\n");
    }
    return b.toString();
  }

  /** The HLS segment of one window, made on first request. */
  public Path segment(dev.actorfarm.protocol.JobPlan plan, Window w) throws IOException {
    String rel = String.format("jobs/%s/preview/%06d.ts", plan.getSpec().getJobId(), w.index());
    Path target = blobs.resolve(BlobStore.SCHEME + rel);
    if (Files.isRegularFile(target)) {
      return target;
    }
    var sound = dev.actorfarm.muxer.MuxJob.planSound(plan);
    Path audio = sound == null ? null : blobs.open(sound);
    int fps = dev.actorfarm.muxer.MuxJob.planFps(plan);
    blobs.write(rel, tmp -> writeSegment(w, audio, fps, tmp));
    return target;
  }

  private static void writeSegment(Window w, Path audio, int fps, Path out) throws IOException {
    long startUs = Math.round(w.firstFrame() * 1e6 / fps);
    double endSeconds = (w.firstFrame() + w.frameCount()) / (double) fps;
    try (FFmpegFrameGrabber video = new FFmpegFrameGrabber(w.segment().toFile());
        FFmpegFrameGrabber narration =
            audio == null ? null : new FFmpegFrameGrabber(audio.toFile())) {
      video.start();
      if (narration != null) {
        narration.setSampleMode(FrameGrabber.SampleMode.FLOAT);
        narration.setSampleRate(SAMPLE_RATE);
        narration.setAudioChannels(1);
        narration.start();
        if (startUs > 0) {
          narration.setTimestamp(startUs);
        }
      }
      int channels = narration == null ? 0 : 1;
      try (FFmpegFrameRecorder rec =
          new FFmpegFrameRecorder(
              out.toFile(), video.getImageWidth(), video.getImageHeight(), channels)) {
        rec.setFormat("mpegts");
        rec.setFrameRate(fps);
        if (narration != null) {
          rec.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
          rec.setAudioBitrate(AUDIO_BITRATE);
          rec.setSampleRate(SAMPLE_RATE);
        }
        rec.setAudioChannels(channels);
        // Every stream of this segment starts at the window's place in the job, so that the
        // player's timeline is continuous across segments.
        rec.setOption("output_ts_offset", startUs + "us");
        rec.start(video.getFormatContext());
        AVPacket pkt;
        int stream = video.getVideoStream();
        while ((pkt = video.grabPacket()) != null) {
          try {
            if (pkt.stream_index() == stream) {
              rec.recordPacket(pkt);
            }
          } finally {
            avcodec.av_packet_unref(pkt);
          }
        }
        long wanted =
            narration == null ? 0 : Math.round((endSeconds - startUs / 1e6) * SAMPLE_RATE);
        long written = 0;
        Frame f;
        while (written < wanted && (f = narration.grabSamples()) != null) {
          if (f.samples == null) {
            continue;
          }
          java.nio.FloatBuffer samples = (java.nio.FloatBuffer) f.samples[0];
          int n = (int) Math.min(samples.remaining(), wanted - written);
          samples.limit(samples.position() + n);
          rec.recordSamples(f.sampleRate, 1, samples);
          written += n;
        }
        if (narration != null) {
          // In copy mode the recorder does not drain the audio encoder itself.
          rec.recordSamples(SAMPLE_RATE, 1, (Buffer[]) null);
        }
        rec.stop();
      }
    } catch (FrameGrabber.Exception | org.bytedeco.javacv.FrameRecorder.Exception e) {
      throw new IOException("cannot make preview segment " + w.index() + ": " + e.getMessage(), e);
    }
  }

  private int frameCount(Path segment) throws IOException {
    Integer known = frameCounts.get(segment);
    if (known != null) {
      return known;
    }
    int n;
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(segment.toFile())) {
      g.start();
      int stream = g.getVideoStream();
      n = 0;
      AVPacket pkt;
      while ((pkt = g.grabPacket()) != null) {
        if (pkt.stream_index() == stream) {
          n++;
        }
        avcodec.av_packet_unref(pkt);
      }
    } catch (FrameGrabber.Exception e) {
      throw new IOException("cannot read segment " + segment.getFileName(), e);
    }
    frameCounts.put(segment, n);
    return n;
  }
}
