package dev.actorfarm.runtime.motion;

/**
 * The layout of the per-frame face measurements that the driving-video stage publishes and the
 * motion entity retargets onto the pack's channels: one row of {@link #K} floats per output frame.
 * Angles are radians; lengths are in eye distances of the same frame, except the face's position,
 * which is in pixels together with the eye distance it was measured with.
 */
public final class DrivingMeasures {

  private DrivingMeasures() {}

  /** 1 when a face was tracked in the frame, 0 when it was lost. */
  public static final int PRESENT = 0;

  /** 1 on the first frame of a new shot or of a face found again: re-anchor here. */
  public static final int CUT = 1;

  /** Head turn, positive to the image's right (nose tip against the face outline). */
  public static final int YAW = 2;

  /** Head tilt, positive looking down (nose tip between the eye line and the mouth). */
  public static final int PITCH = 3;

  /** In-plane rotation of the eye line, positive clockwise in the image. */
  public static final int ROLL = 4;

  /** Eye midpoint in pixels, and the eye distance in pixels. */
  public static final int X_PX = 5;

  public static final int Y_PX = 6;
  public static final int IOD_PX = 7;

  /** Inner-lip gap, in eye distances (0 for closed lips). */
  public static final int MOUTH_GAP = 8;

  /** Mouth-corner distance, in eye distances. */
  public static final int MOUTH_WIDTH = 9;

  /** Eye aspect ratio (lid gap over eye width), both eyes averaged: about 0.3 open, 0.1 shut. */
  public static final int EYE_OPEN = 10;

  /** Brow height above the eye centres, in eye distances. */
  public static final int BROW = 11;

  public static final int K = 12;
}
