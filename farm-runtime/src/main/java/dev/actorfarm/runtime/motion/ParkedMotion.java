package dev.actorfarm.runtime.motion;

import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.JobPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the harnesses and tests measure a job's motion from: the motion windows the motion entity
 * parked in the blob store ({@link JobPaths#motion}), joined frame by frame, and the peaks of a
 * channel.
 */
public final class ParkedMotion {

  private ParkedMotion() {}

  /** The motion job {@code jobId} was rendered from, {@code [frames][M]}, windows in order. */
  public static float[][] read(BlobStore blobs, String jobId) throws IOException {
    List<float[]> rows = new ArrayList<>();
    for (int w = 0; ; w++) {
      Path p = blobs.resolve(BlobStore.SCHEME + JobPaths.motion(jobId, w));
      if (!Files.isRegularFile(p)) {
        return rows.toArray(new float[0][]);
      }
      MotionWindow mw = MotionWindow.parseFrom(Files.readAllBytes(p));
      if (mw.getFirstFrame() != rows.size()) {
        throw new IOException(
            "motion window "
                + w
                + " of "
                + jobId
                + " starts at frame "
                + mw.getFirstFrame()
                + ", not "
                + rows.size());
      }
      float[] v = Tensors.floats(mw.getMotion());
      int m = Tensors.dim(mw.getMotion(), 1);
      for (int i = 0; i < mw.getFrameCount(); i++) {
        rows.add(java.util.Arrays.copyOfRange(v, i * m, (i + 1) * m));
      }
    }
  }

  /** Frames where {@code v} peaks above {@code threshold}, one per excursion. */
  public static List<Integer> peaks(double[] v, double threshold) {
    List<Integer> out = new ArrayList<>();
    int i = 0;
    while (i < v.length) {
      if (v[i] > threshold) {
        int best = i;
        while (i < v.length && v[i] > threshold) {
          if (v[i] > v[best]) {
            best = i;
          }
          i++;
        }
        out.add(best);
      } else {
        i++;
      }
    }
    return out;
  }
}
