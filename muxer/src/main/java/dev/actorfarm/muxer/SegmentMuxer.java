package dev.actorfarm.muxer;

import java.io.IOException;
import java.nio.Buffer;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Joins a job's segments, in window order, into one MP4 by stream copy (no re-encode) and adds the
 * narration as AAC. Segments are opened one at a time and audio is written up to the end of each
 * segment before the next is opened, so the muxer's memory does not grow with job length; a {@link
 * Session} does this incrementally, while the later windows are still rendering.
 */
public final class SegmentMuxer {

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    FFmpegLogCallback.setLevel(avutil.AV_LOG_ERROR);
  }

  /** One segment to place: its file and the index of its first frame in the job. */
  public record Segment(Path file, int firstFrame, int frameCount) {}

  private SegmentMuxer() {}

  /**
   * Writes {@code output} from {@code segments} (in order, contiguous) and {@code audio}.
   *
   * @return the number of video packets written
   */
  public static long mux(
      List<Segment> segments,
      Path audio,
      Path output,
      int fps,
      int audioSampleRate,
      int audioBitrate)
      throws IOException {
    if (segments.isEmpty()) {
      throw new IOException("no segments to mux");
    }
    Session session =
        Session.open(segments.get(0).file(), audio, output, fps, audioSampleRate, audioBitrate);
    try {
      for (Segment seg : segments) {
        session.append(seg);
      }
      return session.finish();
    } finally {
      session.close();
    }
  }

  /**
   * An output being assembled segment by segment, as the contiguous prefix of a job's windows
   * grows: each {@link #append} copies one segment's packets and encodes the narration up to its
   * end, so that when the last segment arrives only it and the container's index remain to be
   * written. Not thread-safe: one caller at a time.
   */
  public static final class Session implements AutoCloseable {
    private final FFmpegFrameGrabber first;
    private final FFmpegFrameGrabber narration;
    private final FFmpegFrameRecorder recorder;
    private final AudioCursor cursor;
    private final Path output;
    private final int fps;
    private long packets;
    private int nextFrame;
    private boolean closed;

    private Session(
        FFmpegFrameGrabber first,
        FFmpegFrameGrabber narration,
        FFmpegFrameRecorder recorder,
        AudioCursor cursor,
        Path output,
        int fps) {
      this.first = first;
      this.narration = narration;
      this.recorder = recorder;
      this.cursor = cursor;
      this.output = output;
      this.fps = fps;
    }

    /**
     * Starts {@code output} with the stream parameters of {@code firstSegment} (every segment of a
     * job shares them) and the sound track {@code audio}, or none when it is null (a driving video
     * without sound).
     */
    public static Session open(
        Path firstSegment, Path audio, Path output, int fps, int audioSampleRate, int audioBitrate)
        throws IOException {
      FFmpegFrameGrabber first = SegmentMuxer.open(firstSegment);
      FFmpegFrameGrabber narration = audio == null ? null : new FFmpegFrameGrabber(audio.toFile());
      FFmpegFrameRecorder recorder = null;
      try {
        int channels = 0;
        if (narration != null) {
          narration.setSampleMode(FrameGrabber.SampleMode.FLOAT);
          narration.setSampleRate(audioSampleRate);
          try {
            narration.start();
            channels = Math.min(2, Math.max(1, narration.getAudioChannels()));
            narration.stop();
            narration.setAudioChannels(channels);
            narration.start();
          } catch (FrameGrabber.Exception e) {
            throw new IOException("cannot decode the sound track: " + e.getMessage(), e);
          }
        }
        recorder =
            new FFmpegFrameRecorder(
                output.toFile(), first.getImageWidth(), first.getImageHeight(), channels);
        recorder.setFormat("mp4");
        recorder.setOption("movflags", "+faststart");
        recorder.setFrameRate(fps);
        if (narration != null) {
          recorder.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
          recorder.setAudioBitrate(audioBitrate);
          // FFmpeg's fast AAC coder: about a third of the default coder's CPU, which was the
          // muxer's whole cost per segment (BENCHMARKS.md), for speech at this bitrate.
          recorder.setAudioOption("aac_coder", "fast");
          recorder.setSampleRate(audioSampleRate);
        }
        recorder.setAudioChannels(channels);
        recorder.start(first.getFormatContext());
        return new Session(
            first,
            narration,
            recorder,
            narration == null
                ? null
                : new AudioCursor(narration, recorder, audioSampleRate, channels),
            output,
            fps);
      } catch (FrameRecorder.Exception | RuntimeException e) {
        closeQuietly(recorder);
        closeQuietly(first);
        closeQuietly(narration);
        throw new IOException("cannot start " + output.getFileName() + ": " + e.getMessage(), e);
      } catch (IOException e) {
        closeQuietly(recorder);
        closeQuietly(first);
        closeQuietly(narration);
        throw e;
      }
    }

    /** Appends the next segment (it must start where the previous one ended). */
    public void append(Segment seg) throws IOException {
      if (seg.firstFrame() != nextFrame) {
        throw new IOException(
            "segment "
                + seg.file().getFileName()
                + " starts at frame "
                + seg.firstFrame()
                + ", expected "
                + nextFrame);
      }
      try {
        FFmpegFrameGrabber grabber = packets == 0 ? first : SegmentMuxer.open(seg.file());
        try {
          packets += copyVideo(grabber, recorder, seg, fps);
        } finally {
          if (grabber != first) {
            grabber.close();
          }
        }
        nextFrame += seg.frameCount();
        if (cursor != null) {
          cursor.writeUntil(nextFrame / (double) fps);
        }
      } catch (FrameRecorder.Exception | FrameGrabber.Exception e) {
        throw new IOException("cannot mux " + output.getFileName() + ": " + e.getMessage(), e);
      }
    }

    /**
     * Writes the sound track up to the video's end and closes the file; returns the video packets
     * written. The video is the job's length (a narration's frames cover it to half a frame; a
     * driving video's are its own), so a longer replacement sound track is cut there.
     */
    public long finish() throws IOException {
      try {
        if (cursor != null) {
          cursor.writeUntil(nextFrame / (double) fps);
          cursor.flush();
        }
        recorder.stop();
        return packets;
      } catch (FrameRecorder.Exception | FrameGrabber.Exception e) {
        throw new IOException("cannot mux " + output.getFileName() + ": " + e.getMessage(), e);
      } finally {
        close();
      }
    }

    /** Releases the encoders and files (an unfinished output is left incomplete). */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      closeQuietly(recorder);
      closeQuietly(first);
      closeQuietly(narration);
    }
  }

  private static FFmpegFrameGrabber open(Path file) throws IOException {
    FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile());
    try {
      g.start();
    } catch (FrameGrabber.Exception e) {
      throw new IOException("cannot open segment " + file.getFileName() + ": " + e.getMessage(), e);
    }
    return g;
  }

  private static long copyVideo(
      FFmpegFrameGrabber grabber, FFmpegFrameRecorder recorder, Segment seg, int fps)
      throws FrameGrabber.Exception, FrameRecorder.Exception, IOException {
    int stream = grabber.getVideoStream();
    AVRational tb = grabber.getFormatContext().streams(stream).time_base();
    AVRational frameTb = avutil.av_make_q(1, fps);
    long offset = avutil.av_rescale_q(seg.firstFrame(), frameTb, tb);
    long count = 0;
    AVPacket pkt;
    while ((pkt = grabber.grabPacket()) != null) {
      try {
        if (pkt.stream_index() != stream) {
          continue;
        }
        if (pkt.pts() != avutil.AV_NOPTS_VALUE) {
          pkt.pts(pkt.pts() + offset);
        }
        if (pkt.dts() != avutil.AV_NOPTS_VALUE) {
          pkt.dts(pkt.dts() + offset);
        }
        recorder.recordPacket(pkt);
        count++;
      } finally {
        avcodec.av_packet_unref(pkt);
      }
    }
    if (count != seg.frameCount()) {
      throw new IOException(
          "segment "
              + seg.file().getFileName()
              + " holds "
              + count
              + " frames, expected "
              + seg.frameCount());
    }
    return count;
  }

  /** Streams the narration into the recorder up to a given time. */
  private static final class AudioCursor {
    private final FFmpegFrameGrabber grabber;
    private final FFmpegFrameRecorder recorder;
    private final int sampleRate;
    private final int channels;
    private long samplesWritten;
    private boolean exhausted;

    AudioCursor(
        FFmpegFrameGrabber grabber, FFmpegFrameRecorder recorder, int sampleRate, int channels) {
      this.grabber = grabber;
      this.recorder = recorder;
      this.sampleRate = sampleRate;
      this.channels = channels;
    }

    void writeUntil(double seconds) throws FrameGrabber.Exception, FrameRecorder.Exception {
      while (!exhausted && samplesWritten < seconds * sampleRate) {
        Frame f = grabber.grabSamples();
        if (f == null) {
          exhausted = true;
          return;
        }
        if (f.samples == null) {
          continue;
        }
        samplesWritten += f.samples[0].remaining() / (f.samples.length > 1 ? 1 : channels);
        recorder.recordSamples(f.sampleRate, f.audioChannels, f.samples);
      }
    }

    /** Drains the AAC encoder: in copy mode the recorder's stop() does not. */
    void flush() throws FrameRecorder.Exception {
      recorder.recordSamples(sampleRate, channels, (Buffer[]) null);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // Already failing or finished: nothing more to report about a close.
    }
  }
}
