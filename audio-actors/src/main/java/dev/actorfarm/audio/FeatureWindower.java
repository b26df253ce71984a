package dev.actorfarm.audio;

import java.io.IOException;
import java.nio.FloatBuffer;

/**
 * Cuts a stream of samples into the audio chunks of consecutive feature windows. Window {@code k}
 * covers video frames {@code [kW, (k+1)W)}, i.e. samples {@code [kW·hop, (k+1)W·hop)}, plus the
 * encoder's look-behind before and look-ahead after; samples outside the audio are zero. Only the
 * samples still needed by a future window are kept, so memory is bounded by one window.
 */
public final class FeatureWindower {

  /** Receives the audio chunk of one window. */
  @FunctionalInterface
  public interface ChunkSink {
    void accept(int windowIndex, float[] chunk) throws IOException;
  }

  private final int windowSamples;
  private final int lookBehind;
  private final int lookAhead;
  private final ChunkSink sink;
  private final float[] buffer;
  private long bufferStart; // absolute sample index of buffer[0]; may be negative (zeros)
  private int filled;
  private int nextWindow;

  public FeatureWindower(int windowFrames, int hop, int lookBehind, int lookAhead, ChunkSink sink) {
    this.windowSamples = windowFrames * hop;
    this.lookBehind = lookBehind;
    this.lookAhead = lookAhead;
    this.sink = sink;
    this.buffer = new float[lookBehind + windowSamples + lookAhead + windowSamples];
    this.bufferStart = -lookBehind;
    this.filled = lookBehind; // the zeros before the audio starts
  }

  /** Adds decoded samples, emitting every window they complete. */
  public void accept(FloatBuffer samples) throws IOException {
    while (samples.hasRemaining()) {
      int n = Math.min(samples.remaining(), buffer.length - filled);
      samples.get(buffer, filled, n);
      filled += n;
      emitReady(Integer.MAX_VALUE);
    }
  }

  /**
   * Emits the remaining windows after the last sample; {@code totalWindows} is the job plan's
   * window count (derived from the total sample count).
   */
  public void finish(int totalWindows) throws IOException {
    while (nextWindow < totalWindows) {
      java.util.Arrays.fill(buffer, filled, buffer.length, 0f);
      filled = buffer.length;
      emitReady(totalWindows);
    }
  }

  public int windowsEmitted() {
    return nextWindow;
  }

  private void emitReady(int limit) throws IOException {
    int chunkLength = lookBehind + windowSamples + lookAhead;
    while (nextWindow < limit) {
      long chunkStart = (long) nextWindow * windowSamples - lookBehind;
      int offset = (int) (chunkStart - bufferStart);
      if (offset + chunkLength > filled) {
        compact(offset);
        return;
      }
      float[] chunk = new float[chunkLength];
      System.arraycopy(buffer, offset, chunk, 0, chunkLength);
      sink.accept(nextWindow, chunk);
      nextWindow++;
    }
  }

  private void compact(int offset) {
    if (offset <= 0) {
      return;
    }
    System.arraycopy(buffer, offset, buffer, 0, filled - offset);
    filled -= offset;
    bufferStart += offset;
  }
}
