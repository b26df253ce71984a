package dev.actorfarm.protocol;

/** Text forms of a {@link FaceBox}. */
public final class FaceBoxes {

  private FaceBoxes() {}

  /**
   * {@code x,y,width,height}, or {@code auto} for no box (the face is detected): the box's part of
   * a cache key, the same wherever the farm keys what a box decides.
   */
  public static String key(FaceBox box) {
    return box == null
        ? "auto"
        : box.getX() + "," + box.getY() + "," + box.getWidth() + "," + box.getHeight();
  }
}
