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

  /** Contact sheets and per-frame figures, kept for a person to look at. */
  static final Path SHEETS = Path.of("target/direction");

  static Path packDir;
  static Path audio;

  @BeforeAll
  static void pack() throws Exception {
    java.nio.file.Files.createDirectories(SHEETS);
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
  void emotionsShowOnATiltedPaintedFaceWithoutJumpsAndWithLipSync() throws Exception {
    // Given grandpa, painted polygon art with glasses and a turned head (no constant was set on
    // him; his mouth is 0.64 eye distances wide where the frontal photos' are 1.05), directed
    // neutral, then happy, neutral, sad and surprised
    Portrait face =
        AnnotatedPortraits.named(
            FidelityTest.ANNOTATIONS, System.getProperty("direction.portrait", "grandpa"));
    Path video =
        FidelityRun.render(
            face,
            audio,
            packDir,
            dir.resolve("renders"),
            face.name() + "-directed",
            List.of("--emotion", DirectionBench.TIMELINE));
    // When the frames are measured at his hand-marked eyes, nose and mouth
    List<Expressiveness.Segment> steady = DirectionBench.STEADY;
    Expressiveness.Frames m =
        Expressiveness.measure(
            face, video, audio, 25, steady, SHEETS.resolve(face.name() + ".png"));
    java.nio.file.Files.copy(
        video,
        SHEETS.resolve(face.name() + ".mp4"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    StringBuilder csv = new StringBuilder("frame,corner,brow,inner,mouth,change\n");
    for (int t = 0; t < m.corner().length; t++) {
      csv.append(
          String.format(
              java.util.Locale.ROOT,
              "%d,%.2f,%.2f,%.2f,%.2f,%.2f%n",
              t,
              m.corner()[t],
              m.brow()[t],
              m.innerBrow()[t],
              m.mouth()[t],
              m.change()[t]));
    }
    java.nio.file.Files.writeString(SHEETS.resolve(face.name() + ".csv"), csv);
    Expressiveness.Figures n1 = m.figures(steady.get(0));
    Expressiveness.Figures happy = m.figures(steady.get(1));
    Expressiveness.Figures n2 = m.figures(steady.get(2));
    Expressiveness.Figures sad = m.figures(steady.get(3));
    Expressiveness.Figures surprised = m.figures(steady.get(4));
    List.of(n1, happy, n2, sad, surprised).forEach(f -> System.out.println("  " + f));
    double neutralCorners = (n1.cornerLift() + n2.cornerLift()) / 2;
    double neutralBrows = (n1.browLift() + n2.browLift()) / 2;
    double cornerNoise = Math.abs(n1.cornerLift() - n2.cornerLift());
    double browNoise = Math.abs(n1.browLift() - n2.browLift());
    // Then the corners are higher when happy and lower when sad, the brows higher when surprised,
    // each by far more than two neutral stretches differ
    assertThat(happy.cornerLift() - neutralCorners).isGreaterThan(Math.max(1, 4 * cornerNoise));
    assertThat(neutralCorners - sad.cornerLift()).isGreaterThan(Math.max(1, 4 * cornerNoise));
    assertThat(surprised.browLift() - neutralBrows).isGreaterThan(Math.max(1, 4 * browNoise));
    // and the inner brows rise when sad
    assertThat(sad.innerBrowLift() - (n1.innerBrowLift() + n2.innerBrowLift()) / 2)
        .isGreaterThan(Math.max(0.5, 2 * Math.abs(n1.innerBrowLift() - n2.innerBrowLift())));
    // and no transition changes a frame more than the steady stretches' speech does
    double steadyMax = steady.stream().mapToDouble(m::maxChange).max().orElseThrow();
    for (Expressiveness.Segment t : DirectionBench.TRANSITIONS) {
      assertThat(m.maxChange(t)).as(t.label()).isLessThanOrEqualTo(steadyMax);
    }
    // and the lips follow the speech in the emotional stretches as they do in the neutral ones
    // (the fidelity harness's target, r >= 0.6)
    double neutralLips = m.lipCorrelation(List.of(steady.get(0), steady.get(2)));
    double lips = m.lipCorrelation(List.of(steady.get(1), steady.get(3), steady.get(4)));
    System.out.printf("  lip r: neutral %.2f, emotional %.2f%n", neutralLips, lips);
    assertThat(lips).isGreaterThanOrEqualTo(0.6);
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
