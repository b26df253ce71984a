package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code farm render} on a disk that fills up during the render (a real 160 MiB tmpfs holding the
 * data dir: the broker's log, the blob store and the output). The job waits, saying why, with its
 * broker unharmed; once space is freed it completes with the frames of an uninterrupted run, and
 * nothing half-written is left.
 */
class FullDiskTest {

  @TempDir Path dir;

  @Test
  void aRenderWaitsForSpaceAndThenCompletesWithTheSameFrames() throws Exception {
    assumeTrue(SmallDisk.unavailable() == null, SmallDisk.unavailable());
    DecodedVideo reference = ReferenceRender.get().video();
    int windows = (reference.frames().size() + 49) / 50;
    try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 160L << 20)) {
      Path data = disk.mountPoint().resolve("data");
      Path out = disk.mountPoint().resolve("out/full-disk.mp4");
      List<String> props =
          List.of(
              "actorfarm.motion.simulated-latency=300ms",
              "actorfarm.blob-store.min-free=48MiB",
              "actorfarm.model-pack.dir=" + ReferenceRender.pack().toAbsolutePath());
      String cwd = Path.of("").toAbsolutePath().toString();
      try (FarmProcess p =
          FarmProcess.start(
              "render",
              dir.resolve("render.log"),
              cmd -> {
                List<String> inside = new ArrayList<>(List.of("--wd=" + cwd));
                inside.addAll(cmd);
                List<String> c = disk.enter(inside);
                // nsenter's options go before the "--" that enter() puts ahead of the command
                c.remove("--wd=" + cwd);
                c.add(c.indexOf("--"), "--wd=" + cwd);
                return c;
              },
              props,
              "render",
              "--portrait",
              ReferenceRender.ASTRONAUT.toAbsolutePath().toString(),
              "--audio",
              ReferenceRender.NARRATION.toAbsolutePath().toString(),
              "--out",
              out.toString(),
              "--data-dir",
              data.toString())) {
        Path blobs = disk.path("data/blobs");
        awaitSegments(blobs, 3, p);
        // When the disk fills up to below the farm's reserve
        Path ballast = disk.fill("ballast", 24L << 20);
        // Then the job waits and says why
        p.awaitLog(
            "WAITING +disk full: \\d+ (KiB|MiB) free on \\S+, below the reserve of 48 MiB",
            Duration.ofSeconds(60));
        Thread.sleep(3000); // windows that were being written when the disk filled land
        int waiting = EmbeddedResumeTest.segments(disk.path("data"));
        Thread.sleep(4000);
        assertThat(EmbeddedResumeTest.segments(disk.path("data")))
            .as("no segment is written while the disk is full")
            .isEqualTo(waiting)
            .isLessThan(windows);
        assertThat(p.alive()).as(p.tail()).isTrue();
        assertThat(disk.free()).as("the reserve kept room for the broker").isGreaterThan(8L << 20);
        // When space is freed, it completes
        Files.delete(ballast);
        assertThat(p.await(Duration.ofMinutes(3))).as(p.tail()).isZero();
        System.out.printf(
            "Full disk: the job waited at %d of %d segments, then completed%n", waiting, windows);
        p.lines("WAITING|COMPLETED|waits").forEach(l -> System.out.println("  " + l));
        // with the frames of an uninterrupted run
        Path copy = dir.resolve("full-disk.mp4");
        Files.copy(disk.path("out/full-disk.mp4"), copy);
        assertThat(DecodedVideo.decode(copy).hashes()).isEqualTo(reference.hashes());
        // and nothing half-written left in the blob store
        try (var files = Files.walk(blobs)) {
          assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".tmp-")))
              .isEmpty();
        }
        assertThat(p.lines("Exception|\\tat ")).as("no stack trace").isEmpty();
      }
    }
  }

  private static void awaitSegments(Path blobs, int n, FarmProcess p) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (EmbeddedResumeTest.segments(blobs.getParent()) < n) {
      assertThat(p.alive()).as(p.tail()).isTrue();
      assertThat(System.nanoTime()).as("%d segments in time", n).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
