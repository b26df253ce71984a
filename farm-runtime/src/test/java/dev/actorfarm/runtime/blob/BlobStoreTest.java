package dev.actorfarm.runtime.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {

  @TempDir Path dir;

  @Test
  void writesAtomicallyAndLeavesNothingOnFailure() throws Exception {
    BlobStore store = new BlobStore(dir.resolve("blobs"));
    var ref = store.write("jobs/j/a.bin", tmp -> Files.writeString(tmp, "hello"));
    assertThat(Files.readString(store.resolve(ref.getUri()))).isEqualTo("hello");
    assertThat(ref.getSize()).isEqualTo(5);
    assertThat(ref.getSha256()).hasSize(64);
    assertThatThrownBy(
            () ->
                store.write(
                    "jobs/j/b.bin",
                    tmp -> {
                      Files.writeString(tmp, "partial");
                      throw new IOException("encoder died");
                    }))
        .hasMessageContaining("encoder died");
    try (var files = Files.list(dir.resolve("blobs/jobs/j"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("a.bin");
    }
  }

  @Test
  void importsByContentAndRefusesEscapes() throws Exception {
    BlobStore store = new BlobStore(dir.resolve("blobs"));
    Path src = dir.resolve("Portrait.PNG");
    Files.writeString(src, "pixels");
    var a = store.importFile(src, "inputs");
    var b = store.importFile(src, "inputs");
    assertThat(a).isEqualTo(b);
    assertThat(a.getUri()).endsWith(".png").contains(a.getSha256());
    assertThatThrownBy(() -> store.resolve("blob:../../etc/passwd"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void countsFinishedBlobsOnlyNotThoseBeingWritten() throws Exception {
    BlobStore store = new BlobStore(dir.resolve("store"));
    assertThat(store.count(JobPaths.segments("job-c"), ".mp4")).isZero();
    store.write(JobPaths.segment("job-c", 0), tmp -> Files.write(tmp, new byte[] {1}));
    store.write(JobPaths.segment("job-c", 1), tmp -> Files.write(tmp, new byte[] {2}));
    // a segment half written, under its temporary name, and a file of another kind
    store.write(
        JobPaths.segment("job-c", 2),
        tmp -> {
          assertThat(store.count(JobPaths.segments("job-c"), ".mp4")).isEqualTo(2);
          Files.write(tmp, new byte[] {3});
        });
    store.write(JobPaths.segments("job-c") + "/notes.txt", tmp -> Files.write(tmp, new byte[0]));
    assertThat(store.count(JobPaths.segments("job-c"), ".mp4")).isEqualTo(3);
  }
}
