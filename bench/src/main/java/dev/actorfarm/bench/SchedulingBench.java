package dev.actorfarm.bench;

import dev.actorfarm.launcher.EmbeddedFarm;
import dev.actorfarm.launcher.JobClient;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code scheduling} section: jobs sharing one embedded farm of simulated GPU workers (a fixed
 * latency per frame, placeholder segments; Kafka, audio, motion entities, the scheduler, the render
 * consumer and the muxer are the real farm).
 *
 * <ul>
 *   <li>A 20 s job alone, then behind a running 10-minute job at the same priority, then at 90
 *       against 50: wall time from submission to output, against the standalone time.
 *   <li>8 concurrent jobs of mixed lengths and priorities on 16 workers: each job's share of the
 *       render time while all 8 had work, against its weight's share; total throughput against 16
 *       workers' linear throughput.
 * </ul>
 */
final class SchedulingBench {

  /** One job of the mixed run: its priority, weight share, measured share. */
  record Share(String job, double seconds, int priority, double expected, double measured) {}

  /** What the section reports. */
  record Result(
      int latencyMs,
      int workers,
      double alone,
      double behindSame,
      double behindHigh,
      int mixWorkers,
      List<Share> shares,
      double mixThroughput,
      double linearThroughput,
      double singleThroughput) {}

  private SchedulingBench() {}

  static Result run(Path work, Path packDir, int latencyMs) throws Exception {
    Path inputs = work.resolve("inputs");
    Path shortAudio = Inputs.loopedNarration(Bench.NARRATION, 20, inputs);
    Path longAudio = Inputs.loopedNarration(Bench.NARRATION, 600, inputs);
    double alone;
    double same;
    double high;
    try (EmbeddedFarm farm = farm(work.resolve("scheduling-2"), packDir, 2, latencyMs)) {
      alone = wall(farm, submit(farm, "short-alone", shortAudio, 20, 50));
      var longRun = submit(farm, "long", longAudio, 600, 50);
      Thread.sleep(5000);
      same = wall(farm, submit(farm, "short-same", shortAudio, 20, 50));
      high = wall(farm, submit(farm, "short-high", shortAudio, 20, 90));
      new JobClient(farm.kafka(), farm.blobs(), "bench").cancel("long", "benchmark over");
      longRun.cancel(true);
    }
    int mixWorkers = 16;
    int[] priorities = {30, 40, 50, 50, 60, 60, 70, 40};
    // Mixed lengths, so that every job still has work while the others run (the measurement
    // interval ends when the first one finishes).
    double[] lengths = {120, 180, 240, 300, 480, 600, 900, 150};
    List<Share> shares = new ArrayList<>();
    double throughput;
    double single;
    try (EmbeddedFarm farm = farm(work.resolve("scheduling-16"), packDir, mixWorkers, latencyMs)) {
      // One 10-minute job alone first: the throughput a single job gets of the 16 workers.
      wall(farm, submit(farm, "single", longAudio, 600, 50));
      // Inputs made and imported first, then all 8 submitted at once.
      List<JobClient.Prepared> prepared = new ArrayList<>();
      for (int i = 0; i < priorities.length; i++) {
        Path audio = Inputs.loopedNarration(Bench.NARRATION, lengths[i], inputs);
        prepared.add(prepare(farm, "mix-" + i, audio, lengths[i]));
      }
      List<CompletableFuture<JobEvent>> runs = new ArrayList<>();
      for (int i = 0; i < priorities.length; i++) {
        runs.add(start(farm, prepared.get(i), priorities[i]));
      }
      for (var r : runs) {
        r.get(30, java.util.concurrent.TimeUnit.MINUTES);
      }
      // The interval in which every job had work: from the last job's first segment to the first
      // job's last one.
      Map<String, List<SegmentRendered>> byJob = new HashMap<>();
      List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> records;
      try (var c = TopicReader.consumer(farm.kafka().bootstrapServers())) {
        var tps =
            c.partitionsFor(Topics.SEGMENTS.name()).stream()
                .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition()))
                .toList();
        records = TopicReader.read(c, tps, k -> true);
      }
      for (var rec : records) {
        SegmentRendered s = Topics.SEGMENTS.parse(rec.value());
        byJob.computeIfAbsent(s.getHeader().getJobId(), k -> new ArrayList<>()).add(s);
      }
      single = throughput(byJob.remove("single"));
      long from = 0;
      long to = Long.MAX_VALUE;
      for (var l : byJob.values()) {
        from =
            Math.max(
                from, l.stream().mapToLong(s -> s.getHeader().getTimestampMs()).min().orElse(0));
        to =
            Math.min(to, l.stream().mapToLong(s -> s.getHeader().getTimestampMs()).max().orElse(0));
      }
      long origin = from;
      for (var e : new java.util.TreeMap<>(byJob).entrySet()) {
        var times = e.getValue().stream().mapToLong(x -> x.getHeader().getTimestampMs());
        var stats = times.summaryStatistics();
        System.out.printf(
            java.util.Locale.ROOT,
            "  %s: %d segments, first at %+.1f s, last at %+.1f s (from the last job's first)%n",
            e.getKey(),
            e.getValue().size(),
            (stats.getMin() - origin) / 1e3,
            (stats.getMax() - origin) / 1e3);
      }
      double weights = 0;
      for (int p : priorities) {
        weights += Math.pow(2, (p - 50) / 10.0);
      }
      Map<String, Double> renderSeconds = new HashMap<>();
      double frames = 0;
      for (var e : byJob.entrySet()) {
        for (SegmentRendered s : e.getValue()) {
          long t = s.getHeader().getTimestampMs();
          if (t > from && t <= to) {
            renderSeconds.merge(e.getKey(), s.getRenderSeconds(), Double::sum);
            frames += s.getFrameCount();
          }
        }
      }
      double total = renderSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
      for (int i = 0; i < priorities.length; i++) {
        shares.add(
            new Share(
                "mix-" + i,
                lengths[i],
                priorities[i],
                Math.pow(2, (priorities[i] - 50) / 10.0) / weights,
                renderSeconds.getOrDefault("mix-" + i, 0.0) / total));
      }
      throughput = frames / ((to - from) / 1e3);
    }
    return new Result(
        latencyMs,
        2,
        alone,
        same,
        high,
        mixWorkers,
        shares,
        throughput,
        mixWorkers * 1000.0 / latencyMs,
        single);
  }

  /** Frames per second from a job's first segment to its last. */
  private static double throughput(List<SegmentRendered> segments) {
    var times =
        segments.stream().mapToLong(s -> s.getHeader().getTimestampMs()).summaryStatistics();
    int frames = segments.stream().mapToInt(SegmentRendered::getFrameCount).sum();
    return frames / ((times.getMax() - times.getMin()) / 1e3);
  }

  private static EmbeddedFarm farm(Path dir, Path packDir, int workers, int latencyMs)
      throws Exception {
    if (java.nio.file.Files.exists(dir)) {
      org.apache.commons.io.file.PathUtils.deleteDirectory(dir);
    }
    Map<String, Object> o = new HashMap<>();
    o.put("actorfarm.data-dir", dir.toString());
    o.put("actorfarm.model-pack.dir", packDir.toString());
    o.put("actorfarm.render.workers", workers);
    o.put("actorfarm.render.simulate-only", true);
    o.put("actorfarm.render.simulated-latency-per-frame", latencyMs + "ms");
    return EmbeddedFarm.start(FarmConfig.load(o));
  }

  private static CompletableFuture<JobEvent> submit(
      EmbeddedFarm farm, String id, Path audio, double seconds, int priority) throws Exception {
    return start(farm, prepare(farm, id, audio, seconds), priority);
  }

  private static JobClient.Prepared prepare(
      EmbeddedFarm farm, String id, Path audio, double seconds) throws Exception {
    return new JobClient(farm.kafka(), farm.blobs(), "bench")
        .prepare(
            new JobClient.Request(
                Bench.PORTRAIT, audio, 25, 0, null, false, farm.pack().id(), seconds),
            id);
  }

  private static CompletableFuture<JobEvent> start(
      EmbeddedFarm farm, JobClient.Prepared job, int priority) throws Exception {
    JobClient client = new JobClient(farm.kafka(), farm.blobs(), "bench");
    JobClient.Follower follower = client.submit(job, new JobStates.Controls(priority, false, 0));
    return CompletableFuture.supplyAsync(
        () -> {
          try (follower) {
            return follower.follow(e -> {}, Duration.ofMinutes(30));
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
  }

  private static double wall(EmbeddedFarm farm, CompletableFuture<JobEvent> run) throws Exception {
    JobEvent last = run.get(10, java.util.concurrent.TimeUnit.MINUTES);
    if (last.getState() != JobState.COMPLETED) {
      throw new IllegalStateException("benchmark job " + last.getState() + ": " + last.getReason());
    }
    return last.getWallSeconds();
  }
}
