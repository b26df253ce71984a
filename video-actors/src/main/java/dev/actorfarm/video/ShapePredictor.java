package dev.actorfarm.video;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * dlib's face landmark model (an ensemble of regression trees, Kazemi and Sullivan 2014), read from
 * the file dlib writes ({@code shape_predictor_68_face_landmarks.dat}, Debian package {@code
 * libdlib-data}, CC0) and run in Java. The file is dlib's own serialization: variable-length
 * integers, floats as mantissa and exponent, column matrices written with negated sizes.
 *
 * <p>A prediction starts from the mean shape placed in the face's box and refines it through each
 * cascade level: pixel intensities at points anchored to the current shape (moved with it by the
 * similarity transform from the mean shape) go down the level's trees, whose leaves add to the
 * shape. Immutable once loaded; {@link #predict} is safe from any thread.
 */
public final class ShapePredictor {

  /** Where Debian's {@code libdlib-data} installs the 68-point model. */
  public static final Path DEBIAN_MODEL =
      Path.of("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");

  private final float[] initialShape; // 2N, normalised to the face box
  private final Level[] levels;
  private final int points;

  /** One cascade level: its feature pixels and its trees. */
  private record Level(
      int[] anchor, float[] deltas, int[] splitIdx, float[] thresh, float[][] leaves, int depth) {}

  private ShapePredictor(float[] initialShape, Level[] levels) {
    this.initialShape = initialShape;
    this.levels = levels;
    this.points = initialShape.length / 2;
  }

  /** Number of landmarks (68 for dlib's face model). */
  public int points() {
    return points;
  }

  /**
   * Loads a model file; a missing file is refused with how to install it.
   *
   * @throws IOException with a one-line reason when the file is missing or not a dlib model
   */
  public static ShapePredictor load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(
          file.toString(),
          null,
          "the face landmark model is missing: install Debian's libdlib-data (apt-get install"
              + " libdlib-data) or set actorfarm.video.landmark-model");
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ShapePredictor p = read(new DataInputStream(in));
      if (in.read() != -1) {
        throw new IOException("trailing bytes after the model");
      }
      return p;
    } catch (EOFException | IllegalStateException e) {
      throw new IOException(file + " is not a dlib shape predictor (" + e.getMessage() + ")", e);
    }
  }

  private static ShapePredictor read(DataInputStream in) throws IOException {
    long version = readInt(in);
    if (version != 1) {
      throw new IllegalStateException("unknown shape predictor version " + version);
    }
    float[] initial = readColumn(in);
    int nLevels = size(in);
    int[][] splitIdx = new int[nLevels][];
    float[][] thresh = new float[nLevels][];
    float[][][] leaves = new float[nLevels][][];
    int[] depth = new int[nLevels];
    for (int l = 0; l < nLevels; l++) {
      int trees = size(in);
      int splitsPerTree = -1;
      int leavesPerTree = -1;
      java.util.List<int[]> idx = new java.util.ArrayList<>();
      java.util.List<float[]> th = new java.util.ArrayList<>();
      java.util.List<float[]> lv = new java.util.ArrayList<>();
      for (int t = 0; t < trees; t++) {
        int splits = size(in);
        if (splitsPerTree < 0) {
          splitsPerTree = splits;
        } else if (splits != splitsPerTree) {
          throw new IllegalStateException("trees of one level differ in depth");
        }
        int[] ti = new int[2 * splits];
        float[] tt = new float[splits];
        for (int s = 0; s < splits; s++) {
          ti[2 * s] = (int) readInt(in);
          ti[2 * s + 1] = (int) readInt(in);
          tt[s] = readFloat(in);
        }
        int nLeaves = size(in);
        if (leavesPerTree < 0) {
          leavesPerTree = nLeaves;
        }
        if (nLeaves != splits + 1 || nLeaves != leavesPerTree) {
          throw new IllegalStateException("a tree has " + nLeaves + " leaves for " + splits);
        }
        for (int k = 0; k < nLeaves; k++) {
          float[] leaf = readColumn(in);
          if (leaf.length != initial.length) {
            throw new IllegalStateException("leaf of " + leaf.length + " values");
          }
          lv.add(leaf);
        }
        idx.add(ti);
        th.add(tt);
      }
      splitIdx[l] = new int[trees * 2 * Math.max(splitsPerTree, 0)];
      thresh[l] = new float[trees * Math.max(splitsPerTree, 0)];
      for (int t = 0; t < trees; t++) {
        System.arraycopy(idx.get(t), 0, splitIdx[l], t * 2 * splitsPerTree, 2 * splitsPerTree);
        System.arraycopy(th.get(t), 0, thresh[l], t * splitsPerTree, splitsPerTree);
      }
      leaves[l] = lv.toArray(new float[0][]);
      depth[l] = splitsPerTree;
    }
    int nAnchor = size(in);
    int[][] anchors = new int[nAnchor][];
    for (int l = 0; l < nAnchor; l++) {
      int n = size(in);
      anchors[l] = new int[n];
      for (int i = 0; i < n; i++) {
        anchors[l][i] = (int) readInt(in);
      }
    }
    int nDeltas = size(in);
    float[][] deltas = new float[nDeltas][];
    for (int l = 0; l < nDeltas; l++) {
      int n = size(in);
      deltas[l] = new float[2 * n];
      for (int i = 0; i < n; i++) {
        deltas[l][2 * i] = readFloat(in);
        deltas[l][2 * i + 1] = readFloat(in);
      }
    }
    if (nAnchor != nLevels || nDeltas != nLevels) {
      throw new IllegalStateException("levels, anchors and deltas differ in number");
    }
    Level[] levels = new Level[nLevels];
    for (int l = 0; l < nLevels; l++) {
      if (anchors[l].length * 2 != deltas[l].length) {
        throw new IllegalStateException("anchors and deltas of level " + l + " differ");
      }
      levels[l] = new Level(anchors[l], deltas[l], splitIdx[l], thresh[l], leaves[l], depth[l]);
    }
    return new ShapePredictor(initial, levels);
  }

  /**
   * The landmarks of the face in {@code box} of an 8-bit grey image.
   *
   * @param gray row-major intensities, {@code width × height}
   * @param box left, top, right, bottom of the face box (dlib's inclusive corners), in pixels
   * @return {@code 2 × points()} coordinates (x, y) in pixels
   */
  public float[] predict(byte[] gray, int width, int height, double[] box) {
    float[] shape = initialShape.clone();
    double left = box[0];
    double top = box[1];
    double sx = box[2] - box[0];
    double sy = box[3] - box[1];
    float[] features = new float[0];
    for (Level level : levels) {
      int n = level.anchor().length;
      if (features.length != n) {
        features = new float[n];
      }
      // The similarity (without translation) from the mean shape to the current shape.
      double[] m = similarity(initialShape, shape);
      for (int i = 0; i < n; i++) {
        int a = level.anchor()[i];
        double dx = level.deltas()[2 * i];
        double dy = level.deltas()[2 * i + 1];
        double nx = m[0] * dx + m[1] * dy + shape[2 * a];
        double ny = m[2] * dx + m[3] * dy + shape[2 * a + 1];
        long px = Math.round(left + nx * sx);
        long py = Math.round(top + ny * sy);
        features[i] =
            px >= 0 && py >= 0 && px < width && py < height
                ? gray[(int) py * width + (int) px] & 0xff
                : 0f;
      }
      int splits = level.depth();
      for (int t = 0; t < level.leaves().length / (splits + 1); t++) {
        int base = t * splits;
        int i = 0;
        while (i < splits) {
          int s = base + i;
          float diff = features[level.splitIdx()[2 * s]] - features[level.splitIdx()[2 * s + 1]];
          i = diff > level.thresh()[s] ? 2 * i + 1 : 2 * i + 2;
        }
        float[] leaf = level.leaves()[t * (splits + 1) + i - splits];
        for (int k = 0; k < shape.length; k++) {
          shape[k] += leaf[k];
        }
      }
    }
    float[] out = new float[shape.length];
    for (int i = 0; i < points; i++) {
      out[2 * i] = (float) (left + shape[2 * i] * sx);
      out[2 * i + 1] = (float) (top + shape[2 * i + 1] * sy);
    }
    return out;
  }

  /** The mean shape, normalised to the face box (x, y in [0, 1] for the box's corners). */
  public float[] meanShape() {
    return initialShape.clone();
  }

  /**
   * The least-squares similarity {@code [a -b; b a]} taking the centred {@code from} shape to the
   * centred {@code to} shape, as a row-major 2×2 matrix.
   */
  static double[] similarity(float[] from, float[] to) {
    int n = from.length / 2;
    double fx = 0;
    double fy = 0;
    double tx = 0;
    double ty = 0;
    for (int i = 0; i < n; i++) {
      fx += from[2 * i];
      fy += from[2 * i + 1];
      tx += to[2 * i];
      ty += to[2 * i + 1];
    }
    fx /= n;
    fy /= n;
    tx /= n;
    ty /= n;
    double dot = 0;
    double cross = 0;
    double norm = 0;
    for (int i = 0; i < n; i++) {
      double ax = from[2 * i] - fx;
      double ay = from[2 * i + 1] - fy;
      double bx = to[2 * i] - tx;
      double by = to[2 * i + 1] - ty;
      dot += ax * bx + ay * by;
      cross += ax * by - ay * bx;
      norm += ax * ax + ay * ay;
    }
    double a = dot / norm;
    double b = cross / norm;
    return new double[] {a, -b, b, a};
  }

  // ---- dlib's serialization ----

  private static int size(DataInputStream in) throws IOException {
    long n = readInt(in);
    if (n < 0 || n > 50_000_000) {
      throw new IllegalStateException("implausible size " + n);
    }
    return (int) n;
  }

  /** A column vector: negated rows and columns (dlib's current format), then the values. */
  private static float[] readColumn(DataInputStream in) throws IOException {
    long rows = readInt(in);
    long cols = readInt(in);
    if (rows < 0 && cols < 0) {
      rows = -rows;
      cols = -cols;
    }
    if (cols != 1 || rows > 10_000) {
      throw new IllegalStateException("expected a column vector, got " + rows + "x" + cols);
    }
    float[] v = new float[(int) rows];
    for (int i = 0; i < v.length; i++) {
      v[i] = readFloat(in);
    }
    return v;
  }

  /** A float as dlib writes it: an integer mantissa and a power-of-two exponent. */
  private static float readFloat(DataInputStream in) throws IOException {
    long mantissa = readInt(in);
    long exponent = readInt(in);
    if (exponent >= 32000) {
      throw new IllegalStateException("non-finite value in the model");
    }
    return (float) Math.scalb((double) mantissa, (int) exponent);
  }

  /**
   * dlib's integer: a control byte (low 4 bits: number of bytes; bit 7: negative), then the
   * magnitude's bytes, least significant first.
   */
  private static long readInt(DataInputStream in) throws IOException {
    int control = in.readUnsignedByte();
    int bytes = control & 0x0f;
    if (bytes > 8) {
      throw new IllegalStateException("integer of " + bytes + " bytes");
    }
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v |= ((long) in.readUnsignedByte()) << (8 * i);
    }
    return (control & 0x80) != 0 ? -v : v;
  }
}
