package dev.actorfarm.runtime;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The farm's configuration, read once from the {@code actorfarm} namespace of the HOCON config.
 * Defaults live in cluster-config's {@code actorfarm.conf}, never here.
 */
public record FarmSettings(
    Path dataDir,
    String nodeName,
    String kafkaBootstrap,
    int embeddedKafkaPort,
    int workPartitions,
    Duration kafkaSessionTimeout,
    boolean kafkaStaticMembership,
    Path blobRoot,
    Path modelPackDir,
    boolean referencePack,
    String executionProvider,
    int intraOpThreads,
    Limits limits,
    int audioParallelism,
    int motionParallelism,
    Duration motionSimulatedLatency,
    Retry retry,
    Render render,
    Muxer muxer,
    Scheduling scheduling,
    Video video,
    long diskMinFree) {

  /** Limits applied at submission. */
  public record Limits(
      double maxAudioSeconds,
      int minImageSide,
      int maxImageSide,
      int maxFps,
      double maxVideoSeconds,
      int maxVideoSide) {

    /** The limits of earlier builds' settings, with the driving-video limits at their defaults. */
    public Limits(double maxAudioSeconds, int minImageSide, int maxImageSide) {
      this(maxAudioSeconds, minImageSide, maxImageSide, 120, maxAudioSeconds, 4096);
    }
  }

  /**
   * The driving-video stage: where dlib's landmark model is, and how many videos one node analyses
   * at once.
   */
  public record Video(java.nio.file.Path landmarkModel, int parallelism) {}

  /**
   * Retries of a record whose processing failed: a failure of the work counts against the job up to
   * {@code maxAttempts}; a failure of the infrastructure (a timeout while a shard moves, a broker
   * that is briefly away) is retried up to {@code maxInfrastructureAttempts} without counting.
   * Backoff doubles from {@code minBackoff} to {@code maxBackoff}.
   */
  public record Retry(
      int maxAttempts, int maxInfrastructureAttempts, Duration minBackoff, Duration maxBackoff) {

    /** The pause before attempt {@code attempt + 1}. */
    public Duration backoff(int attempt) {
      long ms = minBackoff.toMillis() << Math.min(20, Math.max(0, attempt - 1));
      return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
    }
  }

  /**
   * Render node settings. {@code simulatedLatencyPerFrame} adds a fixed cost to every frame, for
   * tests and benchmarks that need windows of a known duration (a slower model, a GPU worker);
   * {@code simulateOnly} replaces the rendering itself by that cost and a tiny placeholder segment
   * (the worker-scaling benchmark's simulated GPU workers).
   */
  public record Render(
      int workers,
      int batchSize,
      String videoCodec,
      long bitsPerMegapixel,
      int sourceCacheSize,
      Duration simulatedLatencyPerFrame,
      boolean simulateOnly) {}

  /** Admission of render work: see {@code actorfarm.scheduling} in actorfarm.conf. */
  public record Scheduling(int windowsPerWorker, Duration tick, int minRenderSlots) {}

  /** Muxer settings. */
  public record Muxer(int audioBitrate, int audioSampleRate) {}

  /** Reads the settings from {@code config} (the whole application config). */
  public static FarmSettings create(Config config) {
    Config c = config.getConfig("actorfarm");
    Path dataDir = Path.of(c.getString("data-dir")).toAbsolutePath();
    String blobRoot = c.getString("blob-store.root");
    String packDir = c.getString("model-pack.dir");
    return new FarmSettings(
        dataDir,
        c.getString("node-name"),
        c.getString("kafka.bootstrap-servers"),
        c.getInt("kafka.embedded-port"),
        c.getInt("kafka.work-partitions"),
        c.getDuration("kafka.session-timeout"),
        c.getBoolean("kafka.static-membership"),
        blobRoot.isEmpty() ? dataDir.resolve("blobs") : Path.of(blobRoot).toAbsolutePath(),
        packDir.isEmpty()
            ? dataDir.resolve("packs").resolve("reference")
            : Path.of(packDir).toAbsolutePath(),
        packDir.isEmpty(),
        c.getString("model-pack.execution-provider"),
        c.getInt("model-pack.intra-op-threads"),
        new Limits(
            c.getDouble("limits.max-audio-seconds"),
            c.getInt("limits.min-image-side"),
            c.getInt("limits.max-image-side"),
            c.getInt("limits.max-fps"),
            c.getDouble("limits.max-video-seconds"),
            c.getInt("limits.max-video-side")),
        c.getInt("audio.parallelism"),
        c.getInt("motion.parallelism"),
        c.getDuration("motion.simulated-latency"),
        new Retry(
            c.getInt("retry.max-attempts"),
            c.getInt("retry.max-infrastructure-attempts"),
            c.getDuration("retry.min-backoff"),
            c.getDuration("retry.max-backoff")),
        new Render(
            c.getInt("render.workers"),
            c.getInt("render.batch-size"),
            c.getString("render.video-codec"),
            c.getLong("render.bits-per-megapixel"),
            c.getInt("render.source-cache-size"),
            c.getDuration("render.simulated-latency-per-frame"),
            c.getBoolean("render.simulate-only")),
        new Muxer(c.getInt("muxer.audio-bitrate"), c.getInt("muxer.audio-sample-rate")),
        new Scheduling(
            c.getInt("scheduling.windows-per-worker"),
            c.getDuration("scheduling.tick"),
            c.getInt("scheduling.min-render-slots")),
        new Video(Path.of(c.getString("video.landmark-model")), c.getInt("video.parallelism")),
        c.getBytes("blob-store.min-free"));
  }

  /** True when this node runs the embedded broker rather than joining an external one. */
  public boolean embeddedKafka() {
    return kafkaBootstrap.isBlank();
  }

  /** The source tag of events produced by {@code role} on this node. */
  public String source(String role) {
    return role + "@" + nodeName;
  }
}
