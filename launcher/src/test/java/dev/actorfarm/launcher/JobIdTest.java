package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.protocol.RenderOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Job ids are the farm's resume keys: the same submission must get the same id across releases. One
 * id is pinned here; if this test fails, an upgrade would strand every resumable job.
 */
class JobIdTest {

  static final String PORTRAIT = "a".repeat(64);
  static final String AUDIO = "b".repeat(64);
  static final String PACK = "actorfarm-reference@1.2.0";

  @Test
  void oneIdIsPinned() {
    RenderOptions o = RenderOptions.newBuilder().setFps(25).setSeed(7).build();
    assertThat(JobClient.canonicalOptions(o))
        .isEqualTo("v1;fps=25;seed=7;crop_only=false;face_box=none");
    // the first 16 hex digits of sha256 over the NUL-terminated parts (checked with sha256sum)
    assertThat(JobClient.derivedJobId(PORTRAIT, AUDIO, null, o, PACK))
        .isEqualTo("job-9be91e73f45dff58");
  }

  @Test
  void everyOptionThatChangesTheOutputChangesTheId() {
    RenderOptions base = RenderOptions.newBuilder().setFps(25).setSeed(7).build();
    List<RenderOptions> variants =
        List.of(
            base,
            base.toBuilder().setFps(30).build(),
            base.toBuilder().setSeed(8).build(),
            base.toBuilder().setCropOnly(true).build(),
            base.toBuilder()
                .setFaceBox(FaceBox.newBuilder().setX(1).setY(2).setWidth(3).setHeight(4))
                .build(),
            base.toBuilder().setExpressionIntensity(0.5f).build(),
            base.toBuilder().setHeadMotionScale(0.5f).build());
    Set<String> ids = new HashSet<>();
    for (RenderOptions o : variants) {
      ids.add(JobClient.derivedJobId(PORTRAIT, AUDIO, null, o, PACK));
    }
    ids.add(JobClient.derivedJobId(PORTRAIT, null, AUDIO, base, PACK)); // a driving video
    ids.add(JobClient.derivedJobId(PORTRAIT, AUDIO, null, base, "liveportrait@1"));
    assertThat(ids).hasSize(variants.size() + 2);
  }
}
