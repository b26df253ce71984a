package dev.actorfarm.runtime.jobs;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.JobControl;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobShare;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.RenderSchedule;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.kafka.TopicReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node knows of every job's lifecycle, folded from {@code farm.job-events}: each role asks
 * it whether a job was cancelled or failed before spending work on it, and the CLI's {@code status}
 * reads it once. It also follows each job's scheduling settings ({@code farm.job-controls}:
 * priority, pause, worker cap) and the render scheduler's latest allocation ({@code
 * farm.schedule}).
 *
 * <p>The fold: {@code SUBMITTED} starts an attempt; once an attempt is COMPLETED, FAILED or
 * CANCELLED, its later events (progress reports still in flight) change nothing until the next
 * SUBMITTED.
 */
public final class JobStates implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JobStates.class);

  /**
   * A job as its events describe it; {@code submittedMs} is the time of the attempt's SUBMITTED
   * event (the broker's timestamp), {@code updatedMs} that of its latest event, {@code firstSeenMs}
   * that of the job id's first event over all its attempts: nothing of the job can be older, which
   * is how the muxer rebuilds a job without reading the farm's history.
   */
  public record Status(
      String jobId,
      JobState state,
      int framesDone,
      int totalFrames,
      String reason,
      BlobRef output,
      double wallSeconds,
      long updatedMs,
      long submittedMs,
      long firstSeenMs) {

    public boolean terminal() {
      return isTerminal(state);
    }
  }

  /** A job's scheduling settings, as its latest {@code farm.job-controls} record gives them. */
  public record Controls(int priority, boolean paused, int maxWorkers) {
    /** A job that has no control record: priority 50, running, no cap. */
    public static final Controls DEFAULT = new Controls(DEFAULT_PRIORITY, false, 0);
  }

  /** The priority of a job submitted without one. */
  public static final int DEFAULT_PRIORITY = 50;

  private static final List<String> FOLLOWED =
      List.of(Topics.JOB_EVENTS.name(), Topics.JOB_CONTROLS.name(), Topics.SCHEDULE.name());

  private final Map<String, Status> jobs = new ConcurrentHashMap<>();
  private final Map<String, Controls> controls = new ConcurrentHashMap<>();
  private volatile RenderSchedule schedule;
  private final List<Consumer<Status>> listeners = new CopyOnWriteArrayList<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private volatile boolean closed;

  private JobStates(KafkaConsumer<String, byte[]> consumer) {
    this.consumer = consumer;
    this.thread = consumer == null ? null : new Thread(this::poll, "job-states");
  }

  /** Follows {@code farm.job-events} on a background thread, from its beginning. */
  public static JobStates follow(String bootstrapServers) {
    JobStates states = new JobStates(TopicReader.consumer(bootstrapServers));
    states.thread.setDaemon(true);
    states.thread.start();
    return states;
  }

  /** Every job's state read once from the whole topic. */
  public static JobStates snapshot(String bootstrapServers) {
    JobStates states = new JobStates(null);
    try (KafkaConsumer<String, byte[]> c = TopicReader.consumer(bootstrapServers)) {
      List<TopicPartition> tps = partitions(c);
      for (ConsumerRecord<String, byte[]> r : TopicReader.read(c, tps, k -> true)) {
        states.apply(r);
      }
    }
    states.caughtUp.countDown();
    return states;
  }

  /** True for COMPLETED, FAILED and CANCELLED. */
  public static boolean isTerminal(JobState s) {
    return s == JobState.COMPLETED || s == JobState.FAILED || s == JobState.CANCELLED;
  }

  /** True while the follower reads the topic (false once it stopped on an error or was closed). */
  public boolean following() {
    return thread != null && thread.isAlive() && !closed;
  }

  /** Waits until the events present when following started have been read. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public Optional<Status> get(String jobId) {
    return Optional.ofNullable(jobs.get(jobId));
  }

  /** Every known job, by id. */
  public Map<String, Status> all() {
    return new TreeMap<>(jobs);
  }

  /**
   * The jobs that have not finished (not COMPLETED, FAILED or CANCELLED), without copying the
   * farm's whole history: what the render scheduler looks at every tick.
   */
  public List<String> active() {
    return jobs.values().stream().filter(s -> !s.terminal()).map(Status::jobId).toList();
  }

  /** True when no more work should be spent on the job: it failed or was cancelled. */
  public boolean isStopped(String jobId) {
    Status s = jobs.get(jobId);
    return s != null && (s.state() == JobState.FAILED || s.state() == JobState.CANCELLED);
  }

  /**
   * The state a job keeps while it waits on something outside it (a full disk): its current one, or
   * RENDERING for a job not yet past SUBMITTED or not known here.
   */
  public JobState waitingState(String jobId) {
    return get(jobId)
        .map(Status::state)
        .filter(st -> st != JobState.SUBMITTED)
        .orElse(JobState.RENDERING);
  }

  public boolean isCancelled(String jobId) {
    Status s = jobs.get(jobId);
    return s != null && s.state() == JobState.CANCELLED;
  }

  /**
   * Records locally that a job failed, ahead of its FAILED event coming back from the broker, so
   * that this node stops spending work on it at once.
   */
  public void markFailed(String jobId, String reason) {
    update(jobId, JobEvent.newBuilder().setState(JobState.FAILED).setReason(reason).build(), 0);
  }

  /** Calls {@code listener} with each change of a job's state (not with progress updates). */
  public void onTransition(Consumer<Status> listener) {
    listeners.add(listener);
  }

  private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
    return FOLLOWED.stream()
        .flatMap(t -> c.partitionsFor(t).stream())
        .map(p -> new TopicPartition(p.topic(), p.partition()))
        .toList();
  }

  /** The job's scheduling settings ({@link Controls#DEFAULT} when it has none). */
  public Controls controls(String jobId) {
    return controls.getOrDefault(jobId, Controls.DEFAULT);
  }

  /** The render scheduler's latest allocation, if one was published. */
  public Optional<RenderSchedule> schedule() {
    return Optional.ofNullable(schedule);
  }

  /** The job's entry in the latest render schedule, if it has one. */
  public Optional<JobShare> share(String jobId) {
    RenderSchedule s = schedule;
    return s == null
        ? Optional.empty()
        : s.getJobsList().stream().filter(j -> j.getJobId().equals(jobId)).findFirst();
  }

  private void poll() {
    try {
      List<TopicPartition> tps = partitions(consumer);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(r);
        }
        if (caughtUp.getCount() > 0
            && end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp.countDown();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      log.error("Job-state follower stopped", e);
    } finally {
      consumer.close();
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    if (r.key() == null) {
      return;
    }
    if (r.value() == null) {
      if (r.topic().equals(Topics.JOB_CONTROLS.name())) {
        controls.remove(r.key());
      }
      return;
    }
    try {
      if (r.topic().equals(Topics.JOB_CONTROLS.name())) {
        JobControl c = Topics.JOB_CONTROLS.parse(r.value());
        controls.put(r.key(), new Controls(c.getPriority(), c.getPaused(), c.getMaxWorkers()));
        return;
      }
      if (r.topic().equals(Topics.SCHEDULE.name())) {
        schedule = Topics.SCHEDULE.parse(r.value());
        return;
      }
      update(r.key(), Topics.JOB_EVENTS.parse(r.value()), r.timestamp());
    } catch (InvalidProtocolBufferException e) {
      log.warn("Undecodable record {}-{}@{}", r.topic(), r.partition(), r.offset());
    }
  }

  private void update(String jobId, JobEvent e, long timestamp) {
    Status[] changed = {null};
    jobs.compute(
        jobId,
        (id, old) -> {
          JobState next = e.getState();
          if (old != null && old.terminal() && next != JobState.SUBMITTED) {
            return old;
          }
          if (next == JobState.JOB_STATE_UNKNOWN) {
            return old;
          }
          boolean fresh = old == null || next == JobState.SUBMITTED;
          Status s =
              new Status(
                  id,
                  next,
                  fresh ? e.getFramesDone() : Math.max(old.framesDone(), e.getFramesDone()),
                  e.getTotalFrames() > 0 ? e.getTotalFrames() : fresh ? 0 : old.totalFrames(),
                  e.getReason(),
                  e.hasOutput() ? e.getOutput() : null,
                  e.getWallSeconds(),
                  timestamp,
                  fresh || old.submittedMs() == 0 ? timestamp : old.submittedMs(),
                  old == null ? timestamp : Math.min(old.firstSeenMs(), timestamp));
          if (old == null || old.state() != next) {
            changed[0] = s;
          }
          return s;
        });
    if (changed[0] != null) {
      for (Consumer<Status> l : listeners) {
        try {
          l.accept(changed[0]);
        } catch (RuntimeException ex) {
          log.warn("Job-state listener failed on {}", jobId, ex);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
