package dev.actorfarm.bench;

import java.util.List;

/**
 * The direction section of the harness: portraits of several kinds rendered with one emotion
 * timeline ({@link #TIMELINE}) after the fidelity harness's lead silence, measured by {@link
 * Expressiveness} in its steady stretches and its transitions.
 */
final class DirectionBench {

  private DirectionBench() {}

  /** Seconds of narration after the lead silence. */
  static final double SECONDS = 15;

  /** Neutral, then happy, neutral, sad and surprised for three seconds each. */
  static final String TIMELINE = "neutral@0,happy@4,neutral@7,sad@10,surprised@13";

  /**
   * The stretches of steady emotion: from 0.9 s after each cue (its 0.8 s ease done); the first
   * neutral one starts a second into the speech, as the others are all speech.
   */
  static final List<Expressiveness.Segment> STEADY =
      List.of(
          new Expressiveness.Segment("neutral", 2.2, 4.0),
          new Expressiveness.Segment("happy", 4.9, 7.0),
          new Expressiveness.Segment("neutral 2", 7.9, 10.0),
          new Expressiveness.Segment("sad", 10.9, 13.0),
          new Expressiveness.Segment("surprised", 13.9, 16.2));

  /** The transitions: each cue's ease. */
  static final List<Expressiveness.Segment> TRANSITIONS =
      List.of(
          new Expressiveness.Segment("to happy", 4.0, 4.9),
          new Expressiveness.Segment("to neutral", 7.0, 7.9),
          new Expressiveness.Segment("to sad", 10.0, 10.9),
          new Expressiveness.Segment("to surprised", 13.0, 13.9));
}
