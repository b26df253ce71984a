package dev.actorfarm.runtime.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The farm's Prometheus metrics (client 1.x), in the default registry so that every role of a node
 * reports into one scrape. Names follow Prometheus conventions: base units as suffixes, {@code
 * _total} for counters, labels of bounded cardinality (a stage, a model, a reason class), never a
 * job id. Consumer lag and job counts are gauges computed at scrape time by the node that serves
 * {@code /metrics}.
 */
public final class FarmMetrics {

  private FarmMetrics() {}

  /** Records taken by a stage from its input topic. */
  public static final Counter ITEMS_IN =
      Counter.builder()
          .name("actorfarm_stage_items_in_total")
          .help("Records a stage took from its input topic")
          .labelNames("stage")
          .register();

  /** Records a stage finished (processed, skipped for a stopped job, or dead-lettered). */
  public static final Counter ITEMS_OUT =
      Counter.builder()
          .name("actorfarm_stage_items_out_total")
          .help("Records a stage finished: processed, skipped or dead-lettered")
          .labelNames("stage")
          .register();

  /** Records a stage is working on now. */
  public static final Gauge ITEMS_IN_PROGRESS =
      Gauge.builder()
          .name("actorfarm_stage_items_in_progress")
          .help("Records a stage is working on now")
          .labelNames("stage")
          .register();

  /** Model inference time per call (motion generator window, renderer batch). */
  public static final Histogram INFERENCE_SECONDS =
      Histogram.builder()
          .name("actorfarm_inference_duration_seconds")
          .help("Time of one model inference call")
          .unit(Unit.SECONDS)
          .labelNames("model")
          .classicOnly()
          .classicUpperBounds(
              0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
          .register();

  /** Video encode time of one segment. */
  public static final Histogram ENCODE_SECONDS =
      Histogram.builder()
          .name("actorfarm_encode_duration_seconds")
          .help("Time to encode one window's segment")
          .unit(Unit.SECONDS)
          .classicOnly()
          .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
          .register();

  /** From a window's audio features being produced to its segment being rendered. */
  public static final Histogram WINDOW_END_TO_END_SECONDS =
      Histogram.builder()
          .name("actorfarm_window_end_to_end_duration_seconds")
          .help("From a window's audio features being produced to its segment being rendered")
          .unit(Unit.SECONDS)
          .classicOnly()
          .classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
          .register();

  /** Frames rendered by the render workers. */
  public static final Counter FRAMES_RENDERED =
      Counter.builder()
          .name("actorfarm_frames_rendered_total")
          .help("Frames rendered by the render workers")
          .register();

  /** Seconds of narration turned into features by the audio stage. */
  public static final Counter AUDIO_SECONDS =
      Counter.builder()
          .name("actorfarm_audio_processed_seconds_total")
          .help("Seconds of narration turned into features")
          .unit(Unit.SECONDS)
          .register();

  /** Retries of a record's processing, by stage and reason class (infrastructure, processing). */
  public static final Counter RETRIES =
      Counter.builder()
          .name("actorfarm_retries_total")
          .help("Retries of a record's processing, by stage and reason class")
          .labelNames("stage", "reason")
          .register();

  /**
   * Records sent to {@code farm.dead-letters}, by stage and reason class (undecodable, no_job,
   * failed).
   */
  public static final Counter DEAD_LETTERS =
      Counter.builder()
          .name("actorfarm_dead_letters_total")
          .help("Records sent to the dead-letter topic, by stage and reason class")
          .labelNames("stage", "reason")
          .register();

  /**
   * Windows generated but not yet rendered, farm-wide: the render backlog that autoscaling reads
   * (admitted work is only a few windows per worker, so the render topic's lag is not the backlog).
   * Set by the node that runs the render scheduler, 0 on every other node.
   */
  public static final Gauge BACKLOG_WINDOWS =
      Gauge.builder()
          .name("actorfarm_render_backlog_windows")
          .help("Windows generated and not yet rendered, farm-wide (the render backlog)")
          .register();

  /** Windows generated and waiting for admission, by priority class (low, normal, high). */
  public static final Gauge WAITING_WINDOWS =
      Gauge.builder()
          .name("actorfarm_waiting_windows")
          .help("Windows generated and waiting for render admission, by priority class")
          .labelNames("priority_class")
          .register();

  /** Windows admitted to render (queued or rendering), by job state (running, paused). */
  public static final Gauge IN_RENDER_WINDOWS =
      Gauge.builder()
          .name("actorfarm_in_render_windows")
          .help("Windows admitted to render and not yet rendered, by job state")
          .labelNames("job_state")
          .register();

  /** Render workers in the farm-render group, as the scheduler counts them. */
  public static final Gauge RENDER_SLOTS =
      Gauge.builder()
          .name("actorfarm_render_slots")
          .help("Render workers in the farm-render consumer group, as the scheduler counts them")
          .register();

  /** The priority classes of {@link #WAITING_WINDOWS}: under 40, 40 to 60, over 60. */
  public static final java.util.List<String> PRIORITY_CLASSES =
      java.util.List.of("low", "normal", "high");

  /** The priority class of a priority 0..100. */
  public static String priorityClass(int priority) {
    return priority < 40 ? "low" : priority > 60 ? "high" : "normal";
  }

  /** The stages, as the {@code stage} label names them. */
  public static final java.util.List<String> STAGES =
      java.util.List.of("audio", "motion", "render", "mux");

  static {
    // Every series exists from the start at 0, so that rate() and alerts see the first event.
    for (String c : PRIORITY_CLASSES) {
      WAITING_WINDOWS.initLabelValues(c);
    }
    for (String state : java.util.List.of("running", "paused")) {
      IN_RENDER_WINDOWS.initLabelValues(state);
    }
    for (String model : java.util.List.of("audio_encoder", "motion_generator", "renderer")) {
      INFERENCE_SECONDS.initLabelValues(model);
    }
    for (String stage : STAGES) {
      ITEMS_IN.initLabelValues(stage);
      ITEMS_OUT.initLabelValues(stage);
      ITEMS_IN_PROGRESS.initLabelValues(stage);
      for (String reason : java.util.List.of("infrastructure", "processing")) {
        RETRIES.initLabelValues(stage, reason);
      }
      for (String reason : java.util.List.of("undecodable", "no_job", "failed")) {
        DEAD_LETTERS.initLabelValues(stage, reason);
      }
    }
  }

  private static volatile boolean jvmRegistered;

  /** Registers the JVM's metrics (memory, GC, threads, ...) once per process. */
  public static synchronized void registerJvm() {
    if (!jvmRegistered) {
      JvmMetrics.builder().register();
      jvmRegistered = true;
    }
  }

  /** The stage of a record source such as {@code render@node-1}. */
  public static String stageOf(String source) {
    int at = source.indexOf('@');
    return at < 0 ? source : source.substring(0, at);
  }

  /** The content type of {@link #scrape()}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** The default registry in the Prometheus text format. */
  public static String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 10);
    try {
      new PrometheusTextFormatWriter(false).write(out, PrometheusRegistry.defaultRegistry.scrape());
    } catch (IOException e) {
      throw new IllegalStateException("cannot write metrics", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
