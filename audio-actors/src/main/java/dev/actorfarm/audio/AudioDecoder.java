package dev.actorfarm.audio;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Decodes any audio file FFmpeg reads (wav, mp3, flac, ogg/opus, m4a/aac, ...) as a stream of mono
 * float samples at a chosen rate, chunk by chunk: the file is never held in memory whole.
 */
public final class AudioDecoder {

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    FFmpegLogCallback.setLevel(avutil.AV_LOG_ERROR);
  }

  /** Receives decoded samples; the buffer is only valid during the call. */
  @FunctionalInterface
  public interface SampleSink {
    void accept(FloatBuffer samples) throws IOException;
  }

  /** What a quick look at a file found. */
  public record Probe(double durationSeconds, int sampleRate, int channels, String codec) {}

  private AudioDecoder() {}

  /** Opens {@code file} and reads its header and first audio frame; fails if it is not audio. */
  public static Probe probe(Path file) throws IOException {
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
      grabber.start();
      if (grabber.getAudioStream() < 0 || grabber.getAudioChannels() <= 0) {
        throw new IOException("no audio stream");
      }
      Frame first = grabber.grabSamples();
      if (first == null) {
        throw new IOException("the audio stream holds no samples");
      }
      double duration = grabber.getLengthInTime() / 1e6;
      return new Probe(
          duration,
          grabber.getSampleRate(),
          grabber.getAudioChannels(),
          grabber.getAudioCodecName());
    } catch (FrameGrabber.Exception e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * Decodes {@code file} to mono float samples at {@code sampleRate}, in order, into {@code sink}.
   *
   * @return the number of samples decoded
   */
  public static long decode(Path file, int sampleRate, SampleSink sink) throws IOException {
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
      grabber.setSampleMode(FrameGrabber.SampleMode.FLOAT);
      grabber.setSampleRate(sampleRate);
      grabber.setAudioChannels(1);
      grabber.start();
      if (grabber.getAudioStream() < 0) {
        throw new IOException("no audio stream");
      }
      long total = 0;
      Frame frame;
      while ((frame = grabber.grabSamples()) != null) {
        if (frame.samples == null || frame.samples.length == 0) {
          continue;
        }
        FloatBuffer buf = (FloatBuffer) frame.samples[0];
        total += buf.remaining();
        sink.accept(buf);
      }
      return total;
    } catch (FrameGrabber.Exception e) {
      throw new IOException("cannot decode audio: " + e.getMessage(), e);
    }
  }
}
