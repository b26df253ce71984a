package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.JobPaths;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code farm serve} SIGKILLed while three jobs of priorities 20, 50 and 90 render, and started
 * again on the same data directory: every job completes with the reference frames. What was parked
 * (generated, not yet admitted) and what was admitted survive the kill: the motion entities restore
 * both from their checkpoints, and the scheduler wakes them.
 */
class SchedulingResumeTest {

  @TempDir Path dir;

  @Test
  void killedWithThreeJobsInFlightEveryJobCompletesWithTheReferenceFrames() throws Exception {
    DecodedVideo reference = ReferenceRender.get().video();
    Path data = dir.resolve("data");
    List<String> props =
        List.of(
            "actorfarm.render.simulated-latency-per-frame=10ms",
            "actorfarm.model-pack.dir=" + ReferenceRender.pack());
    String[] args = {"serve", "--port", "0", "--data-dir", data.toString()};
    List<String> ids = List.of("job-prio-20", "job-prio-50", "job-prio-90");
    int[] priorities = {20, 50, 90};
    BlobStore blobs = new BlobStore(data.resolve("blobs"));
    try (FarmProcess p = FarmProcess.start("serve-0", dir.resolve("serve-0.log"), props, args)) {
      p.awaitLog("Farm node up", Duration.ofMinutes(2));
      String bootstrap = Files.readString(data.resolve(FarmConnection.ADDRESS_FILE)).trim();
      try (FarmKafka kafka = new FarmKafka(bootstrap)) {
        JobClient client = new JobClient(kafka, blobs, "cli@test");
        for (int i = 0; i < ids.size(); i++) {
          client.enqueue(
              client.prepare(ReferenceRender.request(), ids.get(i)),
              new JobStates.Controls(priorities[i], false, 0));
        }
      }
      // Killed once a third of the 33 windows are rendered
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (ids.stream().mapToInt(id -> segments(blobs, id)).sum() < 11) {
        assertThat(System.nanoTime()).as("11 windows rendered").isLessThan(deadline);
        Thread.sleep(50);
      }
      p.kill();
    }
    int[] atKill = ids.stream().mapToInt(id -> segments(blobs, id)).toArray();
    try (FarmProcess p = FarmProcess.start("serve-1", dir.resolve("serve-1.log"), props, args)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      for (String id : ids) {
        Path output = blobs.resolve(BlobStore.SCHEME + JobPaths.output(id));
        while (!Files.isRegularFile(output)) {
          assertThat(System.nanoTime())
              .as(id + " completes after the restart")
              .isLessThan(deadline);
          assertThat(p.alive()).as(p.log()).isTrue();
          Thread.sleep(100);
        }
        assertThat(DecodedVideo.decode(output).hashes()).as(id).isEqualTo(reference.hashes());
      }
      System.out.printf(
          "Scheduling resume: segments at the kill %s; all three jobs equal the reference%n",
          java.util.Arrays.toString(atKill));
    }
  }

  private static int segments(BlobStore blobs, String jobId) {
    try {
      return blobs.count(JobPaths.segments(jobId), ".mp4");
    } catch (java.io.IOException e) {
      return 0;
    }
  }
}
