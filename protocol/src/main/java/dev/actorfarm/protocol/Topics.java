package dev.actorfarm.protocol;

import java.util.List;

/** The registry of every topic of the farm. Nobody spells a topic name anywhere else. */
public final class Topics {

  /**
   * Partitions of the topics whose work spreads over consumers: 8 lets up to 8 render workers or
   * motion nodes share the load; a cluster may create topics with more.
   */
  public static final int WORK_PARTITIONS = 8;

  public static final Topic<JobRequested> JOBS =
      new Topic<>("farm.jobs", Topic.KeyKind.JOB_ID, JobRequested.parser(), WORK_PARTITIONS, false);
  public static final Topic<JobPlan> JOB_PLANS =
      new Topic<>("farm.job-plans", Topic.KeyKind.JOB_ID, JobPlan.parser(), WORK_PARTITIONS, true);
  public static final Topic<AudioFeatures> AUDIO_FEATURES =
      new Topic<>(
          "farm.audio-features",
          Topic.KeyKind.JOB_ID,
          AudioFeatures.parser(),
          WORK_PARTITIONS,
          false);
  public static final Topic<MotionCheckpoint> MOTION_CHECKPOINTS =
      new Topic<>(
          "farm.motion-checkpoints",
          Topic.KeyKind.JOB_ID,
          MotionCheckpoint.parser(),
          WORK_PARTITIONS,
          true);
  public static final Topic<MotionWindow> MOTION_WINDOWS =
      new Topic<>(
          "farm.motion-windows",
          Topic.KeyKind.JOB_WINDOW,
          MotionWindow.parser(),
          WORK_PARTITIONS,
          false);
  public static final Topic<SegmentRendered> SEGMENTS =
      new Topic<>(
          "farm.segments", Topic.KeyKind.JOB_ID, SegmentRendered.parser(), WORK_PARTITIONS, false);
  public static final Topic<JobEvent> JOB_EVENTS =
      new Topic<>(
          "farm.job-events", Topic.KeyKind.JOB_ID, JobEvent.parser(), WORK_PARTITIONS, false);
  public static final Topic<JobControl> JOB_CONTROLS =
      new Topic<>(
          "farm.job-controls", Topic.KeyKind.JOB_ID, JobControl.parser(), WORK_PARTITIONS, true);
  public static final Topic<RenderSchedule> SCHEDULE =
      new Topic<>("farm.schedule", Topic.KeyKind.FIXED, RenderSchedule.parser(), 1, true);

  /**
   * The render workers' consumer group of {@link #MOTION_WINDOWS}: its members are the farm's
   * render capacity (the render scheduler counts them) and its lag is what they have queued.
   */
  public static final String RENDER_GROUP = "farm-render";

  /** The key of the render schedule's record in {@link #SCHEDULE}. */
  public static final String SCHEDULE_KEY = "render";

  public static final Topic<DeadLetter> DEAD_LETTERS =
      new Topic<>("farm.dead-letters", Topic.KeyKind.JOB_ID, DeadLetter.parser(), 1, false);

  /** Every topic, for creation at start-up. */
  public static final List<Topic<?>> ALL =
      List.of(
          JOBS,
          JOB_PLANS,
          AUDIO_FEATURES,
          MOTION_CHECKPOINTS,
          MOTION_WINDOWS,
          SEGMENTS,
          JOB_EVENTS,
          JOB_CONTROLS,
          SCHEDULE,
          DEAD_LETTERS);

  private Topics() {}
}
