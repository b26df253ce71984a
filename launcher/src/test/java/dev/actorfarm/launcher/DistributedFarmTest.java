package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.BlobStore;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The farm as separate processes against one broker: three motion/mux cluster nodes (two also run
 * the audio role) and render nodes of one worker each. Mid-job, the motion node that holds the job
 * is killed with SIGKILL after its third window, then a render node mid-window, then another render
 * node gets SIGTERM mid-window; a third render node joins meanwhile. A simulated per-frame render
 * latency makes every window last at least 2 s, so the kills land mid-window. The job completes
 * with the frames of an uninterrupted run.
 */
class DistributedFarmTest {

  @TempDir Path dir;

  private static final Pattern RENDERED = Pattern.compile("Rendered (job-\\S+) window (\\d+) ");

  @Test
  void killedAndDrainedNodesLoseNothing() throws Exception {
    DecodedVideo reference = ReferenceRender.get().video();
    int windows = (reference.frames().size() + 49) / 50;
    Path blobRoot = dir.resolve("blobs");
    List<FarmProcess> nodes = new ArrayList<>();
    try (TestBroker broker = new TestBroker(dir.resolve("broker"))) {
      String kafka = broker.kafka().bootstrapServers();
      List<String> props =
          List.of(
              "actorfarm.motion.simulated-latency=700ms",
              // A window takes at least 2 s to render, so that kills land mid-window.
              "actorfarm.render.simulated-latency-per-frame=40ms",
              "actorfarm.kafka.session-timeout=6s",
              // Six JVMs share two cores here: heartbeats get late, so the failure detector and
              // the split-brain resolver are given room not to take a slow node for a dead one.
              "pekko.cluster.split-brain-resolver.stable-after=5s",
              "pekko.cluster.split-brain-resolver.down-all-when-unstable=off",
              "pekko.cluster.failure-detector.acceptable-heartbeat-pause=6s",
              "actorfarm.model-pack.dir=" + ReferenceRender.pack());
      int p1 = freePort();
      int p2 = freePort();
      int p3 = freePort();
      String seeds = "127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
      // The first seed forms the cluster; the others join it once it is up (started together, a
      // first seed still looking for its peers and a second one asking it to join have been
      // seen to miss each other for minutes on this overloaded machine).
      FarmProcess m1 = node("m1", props, kafka, blobRoot, "audio,motion,mux", p1, seeds);
      nodes.add(m1);
      m1.awaitLog("Farm node \\S+ up", Duration.ofMinutes(2));
      FarmProcess m2 = node("m2", props, kafka, blobRoot, "audio,motion,mux", p2, seeds);
      // a third cluster member, so that a majority survives the kill
      FarmProcess m3 = node("m3", props, kafka, blobRoot, "motion,mux", p3, seeds);
      FarmProcess r1 = node("r1", props, kafka, blobRoot, "render", 0, null);
      FarmProcess r2 = node("r2", props, kafka, blobRoot, "render", 0, null);
      nodes.addAll(List.of(m2, m3, r1, r2));
      for (FarmProcess n : nodes) {
        n.awaitLog("Farm node \\S+ up", Duration.ofMinutes(2));
      }
      m2.awaitLog("Welcome from", Duration.ofMinutes(1));
      m3.awaitLog("Welcome from", Duration.ofMinutes(1));
      // When the job is submitted
      BlobStore blobs = new BlobStore(blobRoot);
      JobClient client = new JobClient(broker.kafka(), blobs, "cli@test");
      var job = client.prepare(ReferenceRender.request());
      String jobId = job.jobId();
      JobClient.Follower follower = client.submit(job);
      // and the motion node holding the job is killed after its third window
      String started = "Motion entity " + jobId + " started at window 0";
      List<FarmProcess> motion = List.of(m1, m2, m3);
      FarmProcess holder = null;
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (holder == null && System.nanoTime() < deadline) {
        holder = motion.stream().filter(m -> m.log().contains(started)).findFirst().orElse(null);
        Thread.sleep(50);
      }
      assertThat(holder).as("no motion entity started for " + jobId).isNotNull();
      FarmProcess killedNode = holder;
      List<FarmProcess> survivors = motion.stream().filter(m -> m != killedNode).toList();
      holder.awaitLog("Motion entity " + jobId + " generated window 2\\b", Duration.ofMinutes(1));
      holder.kill();
      long killed = System.nanoTime();
      String restoredLine =
          "Motion entity "
              + jobId
              + " started at window (\\d+), \\d+ admitted, \\d+ in render \\(restored from its"
              + " checkpoint";
      FarmProcess survivor = null;
      deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (survivor == null && System.nanoTime() < deadline) {
        survivor =
            survivors.stream()
                .filter(m -> Pattern.compile(restoredLine).matcher(m.log()).find())
                .findFirst()
                .orElse(null);
        Thread.sleep(50);
      }
      assertThat(survivor).as("no surviving node restored " + jobId).isNotNull();
      Matcher restored = survivor.awaitLog(restoredLine, Duration.ofSeconds(1));
      Matcher firstNew =
          survivor.awaitLog(
              "Motion entity " + jobId + " generated window (\\d+), its first after the restore",
              Duration.ofMinutes(1));
      double failover = (System.nanoTime() - killed) / 1e9;
      // and a third render node joins, then render node r1 is killed in the middle of a window
      FarmProcess r3 = node("r3", props, kafka, blobRoot, "render", 0, null);
      nodes.add(r3);
      r3.awaitLog("Farm node \\S+ up", Duration.ofMinutes(2));
      String r1Window = killMidWindow(r1, jobId);
      // and render node r2 gets SIGTERM in the middle of a window
      String r2Window = awaitMidWindow(r2, jobId);
      boolean drained = r2.terminate(Duration.ofSeconds(60));
      JobEvent last = follower.follow(e -> {}, Duration.ofMinutes(4));
      follower.close();
      // Then the job completes with the frames of the uninterrupted run
      assertThat(last.getState()).as(last.getReason()).isEqualTo(JobState.COMPLETED);
      DecodedVideo video = DecodedVideo.decode(blobs.resolve(last.getOutput().getUri()));
      assertThat(video.hashes()).isEqualTo(reference.hashes());
      // and the drained node finished its window, committed it and exited promptly
      assertThat(drained).as("r2 exited after SIGTERM").isTrue();
      assertThat(r2.log()).contains("Consumers drained");
      // (drained by the node's own SIGTERM handler, before the JVM's shutdown hooks ran)
      assertThat(r2.log()).contains("SIGTERM: draining the node before the process exits");
      Map<String, Long> renders = renders(List.of(r1, r2, r3), jobId);
      assertThat(renders).hasSize(windows);
      // and the window r1 was killed in was rendered elsewhere, once
      assertThat(r1Window).as("r1 was killed mid-window").isNotNull();
      assertThat(r1.log()).doesNotContain("Rendered " + jobId + " window " + r1Window + " ");
      assertThat(renders.get(r1Window)).as("window r1 was killed in").isEqualTo(1L);
      // and the window r2 had in hand at SIGTERM was finished by r2 and not rendered again
      assertThat(r2Window).as("r2 got SIGTERM mid-window").isNotNull();
      assertThat(r2.log()).contains("Rendered " + jobId + " window " + r2Window + " ");
      assertThat(renders.get(r2Window)).as("window r2 was rendering at SIGTERM").isEqualTo(1L);
      // and no window was rendered twice but those in flight at the kills: the one r1 had in
      // hand, and at most one motion window whose checkpoint the killed motion node had not
      // written (regenerated, so possibly rendered again)
      long twice = starts(List.of(r1, r2, r3), jobId).values().stream().mapToLong(n -> n - 1).sum();
      System.out.printf(
          "Distributed: %d windows; motion node %s killed, entity restored on %s at window %s,"
              + " first new window %s generated %.1f s after the kill; r1 killed in window %s;"
              + " r2 drained in window %s; windows rendered twice: %d%n",
          windows,
          holder.name(),
          survivor.name(),
          restored.group(1),
          firstNew.group(1),
          failover,
          r1Window,
          r2Window,
          twice);
      assertThat(twice).isLessThanOrEqualTo(2);
    } finally {
      nodes.forEach(FarmProcess::close);
      keepLogs("");
    }
  }

  /**
   * Render nodes join and leave while three jobs (priorities 50, 50 and 60) render on one motion
   * node: the scheduler counts the render workers from the render group's members (1, 2, 3, then 2
   * after a SIGTERM and 1 after a SIGKILL), hands out 3 windows of credit per worker, and while
   * every job has more work than its share each job's share of the credit is its weight's (weights
   * 1, 1 and 2). Each node that joins renders windows of the jobs before the next change. The jobs
   * are the astronaut speaking 60 s (30 windows) for the two at 50, and 120 s for the one at 60,
   * which renders twice as fast: all three still have work when the third node joins. The two alike
   * complete with the same frames as each other, however the nodes came and went under them.
   */
  @Test
  void renderNodesJoinAndLeaveWithThreeJobsActiveAndSharesRebalance() throws Exception {
    Path blobRoot = dir.resolve("blobs");
    Path narration = dir.resolve("narration-40s.wav");
    SchedulingTest.speechLike(narration, 40);
    Path longer = dir.resolve("narration-80s.wav");
    SchedulingTest.speechLike(longer, 80);
    List<FarmProcess> nodes = new ArrayList<>();
    try (TestBroker broker = new TestBroker(dir.resolve("broker"));
        dev.actorfarm.runtime.jobs.JobStates states =
            dev.actorfarm.runtime.jobs.JobStates.follow(broker.kafka().bootstrapServers())) {
      String kafka = broker.kafka().bootstrapServers();
      List<String> props =
          List.of(
              // A window takes at least 1 s to render, so that the jobs outlast the joins.
              "actorfarm.render.simulated-latency-per-frame=20ms",
              "actorfarm.kafka.session-timeout=6s",
              "actorfarm.model-pack.dir=" + ReferenceRender.pack());
      FarmProcess m1 = node("m1", props, kafka, blobRoot, "audio,motion,mux", freePort(), null);
      FarmProcess r1 = node("r1", props, kafka, blobRoot, "render", 0, null);
      nodes.addAll(List.of(m1, r1));
      for (FarmProcess n : nodes) {
        n.awaitLog("Farm node \\S+ up", Duration.ofMinutes(2));
      }
      BlobStore blobs = new BlobStore(blobRoot);
      JobClient client = new JobClient(broker.kafka(), blobs, "cli@test");
      Map<String, Integer> priorities = Map.of("job-a", 50, "job-b", 50, "job-c", 60);
      List<JobClient.Follower> followers = new ArrayList<>();
      var r = ReferenceRender.request();
      for (var e : priorities.entrySet()) {
        boolean high = e.getValue() > 50;
        var request =
            new JobClient.Request(
                r.portrait(),
                high ? longer : narration,
                25,
                0,
                null,
                false,
                r.packId(),
                high ? 80 : 40);
        followers.add(
            client.submit(
                client.prepare(request, e.getKey()),
                new dev.actorfarm.runtime.jobs.JobStates.Controls(e.getValue(), false, 0)));
      }
      // One render worker: 3 windows of credit
      awaitSchedule(states, 1, priorities);
      // When r2 and then r3 join, the credit grows with them and is shared again by weight
      FarmProcess r2 = node("r2", props, kafka, blobRoot, "render", 0, null);
      nodes.add(r2);
      awaitSchedule(states, 2, priorities);
      r2.awaitLog("Rendered job-", Duration.ofMinutes(1));
      FarmProcess r3 = node("r3", props, kafka, blobRoot, "render", 0, null);
      nodes.add(r3);
      awaitSchedule(states, 3, priorities);
      r3.awaitLog("Rendered job-", Duration.ofMinutes(1));
      // When r2 leaves with a SIGTERM (it drains) and r3 is killed, the credit shrinks again
      assertThat(r2.terminate(Duration.ofSeconds(60))).as("r2 exited after SIGTERM").isTrue();
      awaitSlots(states, 2);
      r3.kill();
      awaitSlots(states, 1);
      // Then every job completes, the two alike with the same 1000 frames
      Map<String, List<String>> hashes = new java.util.HashMap<>();
      for (JobClient.Follower f : followers) {
        JobEvent last = f.follow(e -> {}, Duration.ofMinutes(6));
        f.close();
        assertThat(last.getState()).as(last.getReason()).isEqualTo(JobState.COMPLETED);
        hashes.put(
            last.getHeader().getJobId(),
            DecodedVideo.frameHashes(blobs.resolve(last.getOutput().getUri())));
      }
      assertThat(hashes.get("job-a")).hasSize(1000).isEqualTo(hashes.get("job-b"));
      assertThat(hashes.get("job-c")).hasSize(2000);
    } finally {
      nodes.forEach(FarmProcess::close);
      keepLogs("shares-");
    }
  }

  /**
   * Waits for a schedule with {@code slots} render workers and 3 windows of credit per worker in
   * which every job has more work than its share and each job's share is its weight's. (Not each
   * credit: a job that kept windows in render beyond its share pays them back, so one tick's credit
   * may be off its share by more than a window; the average is RenderSharesTest's to check.)
   */
  private static void awaitSchedule(
      dev.actorfarm.runtime.jobs.JobStates states, int slots, Map<String, Integer> priorities)
      throws Exception {
    int total = 3 * slots;
    double weights =
        priorities.values().stream().mapToDouble(p -> Math.pow(2, (p - 50) / 10.0)).sum();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    String last = "none";
    while (System.nanoTime() < deadline) {
      var schedule = states.schedule();
      if (schedule.isPresent()
          && schedule.get().getRenderSlots() == slots
          && schedule.get().getTotalCredit() == total
          && schedule.get().getJobsCount() == priorities.size()) {
        last = schedule.get().toString();
        boolean proportional = true;
        for (var j : schedule.get().getJobsList()) {
          double fair = total * Math.pow(2, (priorities.get(j.getJobId()) - 50) / 10.0) / weights;
          proportional &=
              j.getWaiting() + j.getInRender() > fair + 1
                  && Math.abs(j.getShare() - fair / total) < 1e-3;
        }
        if (proportional) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "no schedule of " + slots + " render workers shared by weight; last: " + last);
  }

  private static void awaitSlots(dev.actorfarm.runtime.jobs.JobStates states, int slots)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (states.schedule().map(s -> s.getRenderSlots() != slots).orElse(true)) {
      assertThat(System.nanoTime()).as(slots + " render workers counted").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** Keeps the nodes' logs for inspection under target/distributed-farm-logs. */
  private void keepLogs(String prefix) throws java.io.IOException {
    Path kept = Path.of("target/distributed-farm-logs");
    java.nio.file.Files.createDirectories(kept);
    try (var logs = java.nio.file.Files.list(dir)) {
      for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
        java.nio.file.Files.copy(
            log,
            kept.resolve(prefix + log.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private FarmProcess node(
      String name,
      List<String> props,
      String kafka,
      Path blobRoot,
      String roles,
      int clusterPort,
      String seeds)
      throws Exception {
    List<String> args =
        NodeCommand.commandLine(name, roles, kafka, blobRoot, dir, clusterPort, seeds);
    return FarmProcess.start(name, dir.resolve(name + ".log"), props, args.toArray(String[]::new));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Waits until {@code worker} is in the middle of a window of the job; returns its index. */
  private static String awaitMidWindow(FarmProcess worker, String jobId) throws Exception {
    Pattern rendering = Pattern.compile("Rendering " + jobId + " window (\\d+)");
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline && worker.alive()) {
      String log = worker.log();
      Matcher m = rendering.matcher(log);
      String lastStarted = null;
      while (m.find()) {
        lastStarted = m.group(1);
      }
      if (lastStarted != null
          && !log.contains("Rendered " + jobId + " window " + lastStarted + " ")) {
        return lastStarted;
      }
      Thread.sleep(10);
    }
    return null;
  }

  private static String killMidWindow(FarmProcess worker, String jobId) throws Exception {
    String window = awaitMidWindow(worker, jobId);
    worker.kill();
    return window;
  }

  /** How often each window of the job was started, finished or not. */
  private static Map<String, Long> starts(List<FarmProcess> workers, String jobId) {
    Pattern rendering = Pattern.compile("Rendering " + jobId + " window (\\d+)$");
    return workers.stream()
        .flatMap(w -> w.lines("Rendering " + jobId + " window").stream())
        .map(rendering::matcher)
        .filter(Matcher::find)
        .collect(Collectors.groupingBy(m -> m.group(1), Collectors.counting()));
  }

  private static Map<String, Long> renders(List<FarmProcess> workers, String jobId) {
    return workers.stream()
        .flatMap(w -> w.lines("Rendered " + jobId + " window").stream())
        .map(RENDERED::matcher)
        .filter(Matcher::find)
        .collect(Collectors.groupingBy(m -> m.group(2), Collectors.counting()));
  }
}
