package dev.actorfarm.runtime.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorfarm.runtime.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob write on a real full disk (a 4 MiB tmpfs): refused whole, with the reason, no residue. */
class DiskSpaceTest {

  @TempDir Path dir;

  @Test
  void aWriteThatWouldCrossTheReserveIsNotStarted() throws Exception {
    assumeTrue(SmallDisk.unavailable() == null, SmallDisk.unavailable());
    try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 4 << 20)) {
      BlobStore blobs = new BlobStore(disk.path("blobs"), 1 << 20);
      blobs.write("jobs/a/segments/0.mp4", tmp -> Files.write(tmp, new byte[100_000]));
      Path ballast = disk.fill("ballast", 512 << 10);
      assertThatThrownBy(
              () -> blobs.write("jobs/a/segments/1.mp4", tmp -> Files.write(tmp, new byte[10])))
          .isInstanceOf(DiskSpace.DiskFullException.class)
          .hasMessageMatching(
              "disk full: \\d+ KiB free on \\S+blobs, below the reserve of 1 MiB"
                  + " \\(actorfarm.blob-store.min-free\\); waiting for space");
      assertThat(listing(disk.path("blobs/jobs/a/segments"))).containsExactly("0.mp4");
      // Freed, the same write goes through.
      Files.delete(ballast);
      blobs.write("jobs/a/segments/1.mp4", tmp -> Files.write(tmp, new byte[10]));
      assertThat(listing(disk.path("blobs/jobs/a/segments"))).containsExactly("0.mp4", "1.mp4");
    }
  }

  @Test
  void aWriteTheDiskRefusesLeavesNothingAndSaysTheDiskIsFull() throws Exception {
    assumeTrue(SmallDisk.unavailable() == null, SmallDisk.unavailable());
    try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 4 << 20)) {
      BlobStore blobs = new BlobStore(disk.path("blobs"), 0);
      Path ballast = disk.fill("ballast", 256 << 10);
      byte[] big = new byte[1 << 20];
      Arrays.fill(big, (byte) 7);
      IOException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              IOException.class,
              () -> blobs.write("jobs/a/segments/0.mp4", tmp -> Files.write(tmp, big)));
      assertThat(refused).isInstanceOf(DiskSpace.DiskFullException.class);
      assertThat(refused.getMessage()).startsWith("disk full: no space left on ");
      assertThat(DiskSpace.isDiskFull(refused)).isTrue();
      // Neither the temporary nor a partial blob is left.
      assertThat(listing(disk.path("blobs/jobs/a/segments"))).isEmpty();
      Files.delete(ballast);
      blobs.write("jobs/a/segments/0.mp4", tmp -> Files.write(tmp, big));
      assertThat(Files.readAllBytes(disk.path("blobs/jobs/a/segments/0.mp4"))).isEqualTo(big);
    }
  }

  @Test
  void diskFullIsToldApartFromOtherFailuresByItsErrno() {
    assertThat(
            DiskSpace.isDiskFull(
                new RuntimeException(
                    "av_interleaved_write_frame() error -28 while writing interleaved video"
                        + " packet.")))
        .isTrue();
    assertThat(DiskSpace.isDiskFull(new IOException("x", new IOException("Disk quota exceeded"))))
        .isTrue();
    assertThat(DiskSpace.isDiskFull(new IOException("avio_open() error -2: Could not open")))
        .isFalse();
    assertThat(DiskSpace.isDiskFull(new IOException("error -281"))).isFalse();
    assertThat(DiskSpace.isDiskFull(new IOException("Permission denied"))).isFalse();
    assertThat(DiskSpace.bytes(3 << 20)).isEqualTo("3 MiB");
  }

  private static java.util.List<String> listing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return java.util.List.of();
    }
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
