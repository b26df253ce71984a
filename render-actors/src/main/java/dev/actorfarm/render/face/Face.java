package dev.actorfarm.render.face;

import dev.actorfarm.protocol.FaceBox;

/**
 * A face found in a portrait, in portrait pixels: the detector's box and its six keypoints, in
 * BlazeFace's order: {@link #EYE_A}, {@link #EYE_B} (the eye on the image's left and right for a
 * frontal face), {@link #NOSE}, {@link #MOUTH}, and the two ear tragions {@link #EAR_A}, {@link
 * #EAR_B}.
 *
 * @param x left edge of the box
 * @param y top edge of the box
 * @param width box width
 * @param height box height
 * @param keypoints 6 × (x, y)
 * @param score detector confidence in [0, 1]; 0 for a face made from a given box
 */
public record Face(
    double x, double y, double width, double height, double[] keypoints, double score) {

  public static final int EYE_A = 0;
  public static final int EYE_B = 1;
  public static final int NOSE = 2;
  public static final int MOUTH = 3;
  public static final int EAR_A = 4;
  public static final int EAR_B = 5;
  public static final int KEYPOINTS = 6;

  public Face {
    if (keypoints.length != 2 * KEYPOINTS) {
      throw new IllegalArgumentException("a face has " + KEYPOINTS + " keypoints");
    }
    keypoints = keypoints.clone();
  }

  public double kx(int k) {
    return keypoints[2 * k];
  }

  public double ky(int k) {
    return keypoints[2 * k + 1];
  }

  /** Distance between the eye centres. */
  public double interOcular() {
    return Math.hypot(kx(EYE_B) - kx(EYE_A), ky(EYE_B) - ky(EYE_A));
  }

  /** Roll in radians from the eye line: positive when the face turns clockwise in the image. */
  public double roll() {
    double dx = kx(EYE_B) - kx(EYE_A);
    double dy = ky(EYE_B) - ky(EYE_A);
    // EYE_B is the image-right eye of an upright face; a face upside down still has a defined roll.
    return Math.atan2(dy, dx);
  }

  public double area() {
    return width * height;
  }

  /** The box, rounded outwards to whole pixels. */
  public FaceBox box() {
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    return FaceBox.newBuilder()
        .setX(x0)
        .setY(y0)
        .setWidth((int) Math.ceil(x + width) - x0)
        .setHeight((int) Math.ceil(y + height) - y0)
        .build();
  }

  /**
   * The keypoints of an upright, frontal face that fills {@code box}, in proportions of the
   * detector's boxes (eyes at 30% and 70% of the width, a third of the way down, the mouth at 78%):
   * what a given {@code --face-box} stands for when no face is found inside it.
   */
  public static Face fromBox(FaceBox box) {
    double w = box.getWidth();
    double h = box.getHeight();
    double x = box.getX();
    double y = box.getY();
    double[] k = {
      x + 0.30 * w, y + 0.36 * h,
      x + 0.70 * w, y + 0.36 * h,
      x + 0.50 * w, y + 0.58 * h,
      x + 0.50 * w, y + 0.78 * h,
      x + 0.02 * w, y + 0.45 * h,
      x + 0.98 * w, y + 0.45 * h
    };
    return new Face(x, y, w, h, k, 0);
  }
}
