package dev.actorfarm.render;

import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.face.BlazeFace;
import dev.actorfarm.render.face.Face;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Finds the face of a portrait with BlazeFace ({@link BlazeFace}): its box and six keypoints.
 * Deterministic: the same image always gives the same face, so every render node computes the same
 * crop.
 *
 * <p>Measured on the hand-annotated portraits of {@code examples/portraits} (BENCHMARKS.md), the
 * Haar cascade used before found 3 of the 8 faces; BlazeFace finds all 8.
 */
public final class FaceLocator {

  /**
   * Score a detection needs to count as a face. MediaPipe's 0.5 keeps the model's recall; on
   * faceless pictures it also returns shapes at 0.5-0.67 (a coffee cup), real faces of every kind
   * in the annotated set score 0.81 or more.
   */
  static final double MIN_FACE_SCORE = 0.7;

  /**
   * Inter-ocular distance as a fraction of the box width that a human face can have: BlazeFace's
   * boxes put the eyes 0.40-0.46 box widths apart on every annotated face, frontal or turned; a
   * detection that fired on something else (a cat's fur) has its "eyes" 0.31 apart.
   */
  static final double MIN_EYE_SPAN = 0.34;

  static final double MAX_EYE_SPAN = 0.65;

  private FaceLocator() {}

  /** The largest face in a BGR image, if any. */
  public static Optional<Face> detect(Mat bgr) throws IOException {
    return faces(bgr).stream().findFirst();
  }

  /**
   * The face inside a given box: the box as given, with the keypoints of the largest face detected
   * whose centre lies in it, or the keypoints of an upright face filling it when none is (a painted
   * or animal face the detector does not know).
   */
  public static Face within(Mat bgr, FaceBox box) throws IOException {
    for (Face f : faces(bgr)) {
      double cx = f.x() + f.width() / 2;
      double cy = f.y() + f.height() / 2;
      if (cx >= box.getX()
          && cx <= box.getX() + box.getWidth()
          && cy >= box.getY()
          && cy <= box.getY() + box.getHeight()) {
        return new Face(
            box.getX(), box.getY(), box.getWidth(), box.getHeight(), f.keypoints(), f.score());
      }
    }
    return Face.fromBox(box);
  }

  /**
   * The plausible faces of a video frame that the detector sees without its tiles for small faces
   * (see {@link BlazeFace#detectWhole}), largest first.
   */
  public static List<Face> inFrame(Mat bgr) throws IOException {
    return BlazeFace.get().detectWhole(bgr).stream().filter(FaceLocator::plausible).toList();
  }

  /** Every plausible face, largest first. */
  private static List<Face> faces(Mat bgr) throws IOException {
    return BlazeFace.get().detect(bgr).stream().filter(FaceLocator::plausible).toList();
  }

  static boolean plausible(Face f) {
    double span = f.interOcular() / f.width();
    return f.score() >= MIN_FACE_SCORE && span >= MIN_EYE_SPAN && span <= MAX_EYE_SPAN;
  }
}
