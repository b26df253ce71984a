package dev.actorfarm.render;

import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.FrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Encodes one window's frames as one closed-GOP H.264 segment in MP4: a fresh encoder per segment,
 * so the segment starts with an IDR frame and references nothing outside itself, and every segment
 * of a job has the same stream parameters (which the muxer's stream copy needs).
 */
public final class SegmentEncoder implements AutoCloseable {

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    FFmpegLogCallback.setLevel(avutil.AV_LOG_ERROR);
  }

  private final FFmpegFrameRecorder recorder;
  private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();

  /** Opens {@code file} for a segment of {@code frames} frames. */
  public SegmentEncoder(
      Path file, int width, int height, int fps, int frames, String codec, long bitrate)
      throws IOException {
    recorder = new FFmpegFrameRecorder(file.toFile(), width, height, 0);
    recorder.setFormat("mp4");
    recorder.setVideoCodecName(codec);
    recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
    recorder.setFrameRate(fps);
    recorder.setGopSize(Math.max(1, frames));
    recorder.setVideoBitrate((int) Math.min(Integer.MAX_VALUE, bitrate));
    recorder.setMaxBFrames(0);
    try {
      recorder.start();
    } catch (FrameRecorder.Exception e) {
      throw new IOException("cannot start the " + codec + " encoder: " + e.getMessage(), e);
    }
  }

  /** Appends one 8-bit BGR frame. */
  public void write(Mat bgr) throws IOException {
    try {
      recorder.record(converter.convert(bgr), avutil.AV_PIX_FMT_BGR24);
    } catch (FrameRecorder.Exception e) {
      throw new IOException("cannot encode a frame: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      recorder.stop();
      recorder.release();
    } catch (FrameRecorder.Exception e) {
      throw new IOException("cannot finish the segment: " + e.getMessage(), e);
    }
  }
}
