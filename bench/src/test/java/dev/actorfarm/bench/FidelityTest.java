package dev.actorfarm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.SegmentEncoder;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fidelity harness's targets on three portraits of different kinds (glasses and a cap, a drawn
 * face, a small face in a wide shot), each rendered by {@code farm render} speaking 6 s of the
 * example narration after a second of silence.
 */
class FidelityTest {

  static final Path ANNOTATIONS = Path.of("../examples/portraits/annotations.json");
  static final Path NARRATION = Path.of("../examples/narration.ogg");

  @TempDir static Path dir;
  static Path packDir;
  static FarmSettings settings;

  @BeforeAll
  static void pack() throws Exception {
    packDir = dir.resolve("pack");
    ReferencePack.ensure(packDir);
    settings = FarmSettings.create(FarmConfig.load());
  }

  @Test
  void portraitsOfThreeKindsMeetTheTargets() throws Exception {
    // Given a photo with glasses and a cap, a drawn face and a small face among others
    List<Portrait> three =
        AnnotatedPortraits.read(ANNOTATIONS).stream()
            .filter(p -> Set.of("hopper", "cartoon", "crowd").contains(p.name()))
            .toList();
    assertThat(three).hasSize(3);
    // When each is rendered and measured
    List<Fidelity> results = FidelityRun.run(three, NARRATION, 6, packDir, dir, settings, null);
    // Then every one meets every target
    for (Fidelity f : results) {
      assertThat(f.lipCorrelation()).as(f.toString()).isGreaterThanOrEqualTo(0.6);
      assertThat(f.speechSilence()).as(f.toString()).isGreaterThanOrEqualTo(2);
      assertThat(f.swayP95()).as(f.toString()).isLessThanOrEqualTo(0.06);
      assertThat(f.restDiff()).as(f.toString()).isLessThanOrEqualTo(2);
      assertThat(f.borderDiff()).as(f.toString()).isLessThanOrEqualTo(2);
      assertThat(f.meetsTargets()).isTrue();
      // and its contact sheet is a picture of two rows of tiles
      Mat sheet = opencv_imgcodecs.imread(f.sheet().toString());
      assertThat(sheet.cols()).isEqualTo(6 * 200);
      assertThat(sheet.rows()).isEqualTo(2 * 200);
    }
  }

  @Test
  void aPortraitThatDoesNotSpeakMissesTheLipTargets() throws Exception {
    // Given a "render" that is the portrait standing still for the whole narration
    Portrait hopper = AnnotatedPortraits.named(ANNOTATIONS, "hopper");
    Path audio = Inputs.silenceThenNarration(NARRATION, 1.2, 6, dir.resolve("inputs"));
    Mat bgr = Portraits.read(hopper.file());
    Mat portrait = Portraits.evenCrop(bgr);
    Path video = dir.resolve("still.mp4");
    int frames = (int) Math.round(7.2 * 25);
    try (SegmentEncoder encoder =
        new SegmentEncoder(
            video,
            portrait.cols(),
            portrait.rows(),
            25,
            frames,
            settings.render().videoCodec(),
            2_000_000)) {
      for (int i = 0; i < frames; i++) {
        encoder.write(portrait);
      }
    }
    // When it is measured
    Fidelity f =
        Fidelity.measure(
            hopper,
            video,
            audio,
            dir.resolve("sheets"),
            frames,
            settings.render().videoCodec(),
            settings.render().bitsPerMegapixel());
    // Then its rest frame and border are perfect, and its lips fail
    assertThat(f.restDiff()).isLessThan(2);
    assertThat(f.swayP95()).isLessThan(0.01);
    assertThat(f.speechSilence()).isLessThan(1.5);
    assertThat(f.meetsTargets()).isFalse();
  }
}
