package dev.actorfarm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directed renders through {@code farm render}, measured on the decoded frames at hand-annotated
 * face positions ({@link Expressiveness}): emotions show where they should, transitions have no
 * jump, the lips keep following the speech, and a still head stays still while the lips move.
 */
class DirectionTest {

  @TempDir static Path dir;

  /** Where the renders and their contact sheets stay, for a person to look at. */
  static final Path WORK = Path.of("target");

  static Path packDir;
  static Path audio;

  @BeforeAll
  static void pack() throws Exception {
    packDir = dir.resolve("pack");
    ReferencePack.ensure(packDir);
    audio =
        Inputs.silenceThenNarration(
            FidelityTest.NARRATION,
            FidelityRun.LEAD_SECONDS,
            DirectionBench.SECONDS,
            dir.resolve("inputs"));
  }

  @Test
  void emotionsShowOnAnUntunedPaintedFaceWithoutJumpsAndWithLipSync() throws Exception {
    // Given grandpa, painted polygon art with glasses and a turned head (no constant was set on
    // him; his mouth is 0.64 eye distances wide where the frontal photos' are 1.05), directed
    // neutral, then happy, neutral, sad and surprised
    Portrait face =
        AnnotatedPortraits.named(
            FidelityTest.ANNOTATIONS, System.getProperty("direction.portrait", "grandpa"));
    // When it is rendered and its frames are measured at his hand-marked eyes, nose and mouth
    // (contact sheet: bench/target/direction/sheets/grandpa.png)
    DirectionBench.Result r =
        DirectionBench.run(List.of(face), FidelityTest.NARRATION, packDir, WORK).get(0);
    System.out.printf(
        "  %s: happy corners %+.2f, sad %+.2f (neutral Δ %.2f); surprised brows %+.2f (neutral Δ"
            + " %.2f); transitions %.2f, steady %.2f; lip r %.2f / %.2f%n",
        face.name(),
        r.happyCorners(),
        r.sadCorners(),
        r.cornerNoise(),
        r.surprisedBrows(),
        r.browNoise(),
        r.transitionMax(),
        r.steadyMax(),
        r.neutralLips(),
        r.emotionalLips());
    // Then the corners are higher when happy and lower when sad, the brows higher when surprised,
    // each by far more than the two neutral stretches differ
    assertThat(r.happyCorners()).isGreaterThan(Math.max(1, 4 * r.cornerNoise()));
    assertThat(-r.sadCorners()).isGreaterThan(Math.max(1, 4 * r.cornerNoise()));
    assertThat(r.surprisedBrows()).isGreaterThan(Math.max(1, 4 * r.browNoise()));
    // and the inner brows rise when sad
    double neutralInner = (r.get(0).innerBrowLift() + r.get(2).innerBrowLift()) / 2;
    assertThat(r.get(3).innerBrowLift() - neutralInner)
        .isGreaterThan(
            Math.max(0.5, 2 * Math.abs(r.get(0).innerBrowLift() - r.get(2).innerBrowLift())));
    // and no transition changes a frame more than the steady stretches' speech does
    assertThat(r.transitionMax()).isLessThanOrEqualTo(r.steadyMax());
    // and the lips follow the speech in the emotional stretches (the fidelity target, r >= 0.6)
    assertThat(r.emotionalLips()).isGreaterThanOrEqualTo(0.6);
    assertThat(r.meetsTargets()).isTrue();
  }

  @Test
  void headMotionZeroKeepsTheUpperFaceStillWhileTheLipsMove() throws Exception {
    // Given hopper (glasses and a cap) with the head still and no blinks
    Portrait hopper = AnnotatedPortraits.named(FidelityTest.ANNOTATIONS, "hopper");
    Path video =
        FidelityRun.render(
            hopper,
            audio,
            packDir,
            dir.resolve("renders"),
            "hopper-still",
            List.of("--head-motion", "0", "--blink-rate", "0"));
    Expressiveness.Segment all = new Expressiveness.Segment("all", 0, 16.2);
    Expressiveness.Frames m = Expressiveness.measure(hopper, video, audio, 25, List.of(all), null);
    double[] forehead = m.foreheadShift().clone();
    Arrays.sort(forehead);
    double p95 = forehead[(int) (0.95 * (forehead.length - 1))];
    double lips = m.lipCorrelation(List.of(all));
    System.out.printf("  head still: forehead shift p95 %.3f px, lip r %.2f%n", p95, lips);
    // Then the forehead does not move (less than a third of a pixel) and the lips still follow
    assertThat(p95).isLessThan(0.33);
    assertThat(lips).isGreaterThanOrEqualTo(0.6);
  }
}
