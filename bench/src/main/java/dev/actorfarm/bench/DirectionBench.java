package dev.actorfarm.bench;

import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import java.nio.file.Path;
import java.util.ArrayList;
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

  /** One portrait's figures. */
  record Result(
      Portrait portrait,
      List<Expressiveness.Figures> steady,
      double transitionMax,
      double steadyMax,
      double neutralLips,
      double emotionalLips) {

    Expressiveness.Figures get(int i) {
      return steady.get(i);
    }

    double neutralCorners() {
      return (get(0).cornerLift() + get(2).cornerLift()) / 2;
    }

    double neutralBrows() {
      return (get(0).browLift() + get(2).browLift()) / 2;
    }

    double cornerNoise() {
      return Math.abs(get(0).cornerLift() - get(2).cornerLift());
    }

    double browNoise() {
      return Math.abs(get(0).browLift() - get(2).browLift());
    }

    double happyCorners() {
      return get(1).cornerLift() - neutralCorners();
    }

    double sadCorners() {
      return get(3).cornerLift() - neutralCorners();
    }

    double surprisedBrows() {
      return get(4).browLift() - neutralBrows();
    }

    /** What DirectionTest asserts: each difference over 1 px and 4× the neutral-to-neutral one. */
    boolean meetsTargets() {
      return happyCorners() > Math.max(1, 4 * cornerNoise())
          && -sadCorners() > Math.max(1, 4 * cornerNoise())
          && surprisedBrows() > Math.max(1, 4 * browNoise())
          && transitionMax <= steadyMax
          && emotionalLips >= 0.6;
    }
  }

  /** Renders and measures each of {@code portraits} that has hand-marked eyes. */
  static List<Result> run(List<Portrait> portraits, Path narration, Path packDir, Path work)
      throws Exception {
    Path audio =
        Inputs.silenceThenNarration(
            narration, FidelityRun.LEAD_SECONDS, SECONDS, work.resolve("inputs"));
    List<Result> out = new ArrayList<>();
    for (Portrait p : portraits) {
      if (p.noFace() || !p.hasKeypoints()) {
        continue;
      }
      System.out.println("Direction: " + p.name() + " (" + p.kind() + ") ...");
      Path video =
          FidelityRun.render(
              p,
              audio,
              packDir,
              work.resolve("direction"),
              p.name() + "-directed",
              List.of("--emotion", TIMELINE));
      Expressiveness.Frames m =
          Expressiveness.measure(
              p, video, audio, 25, STEADY, work.resolve("direction/sheets/" + p.name() + ".png"));
      List<Expressiveness.Figures> steady = STEADY.stream().map(m::figures).toList();
      steady.forEach(f -> System.out.println("  " + f));
      Result r =
          new Result(
              p,
              steady,
              TRANSITIONS.stream().mapToDouble(m::maxChange).max().orElse(0),
              STEADY.stream().mapToDouble(m::maxChange).max().orElse(0),
              m.lipCorrelation(List.of(STEADY.get(0), STEADY.get(2))),
              m.lipCorrelation(List.of(STEADY.get(1), STEADY.get(3), STEADY.get(4))));
      out.add(r);
    }
    return out;
  }
}
