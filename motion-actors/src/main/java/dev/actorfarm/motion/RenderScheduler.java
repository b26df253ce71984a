package dev.actorfarm.motion;

import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobShare;
import dev.actorfarm.protocol.RenderSchedule;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.CborSerializable;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RenderCapacity;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The render scheduler: a cluster singleton on the motion nodes that decides how many windows each
 * job may have admitted to render at once (its credit), and grants it to the job's motion entity.
 *
 * <p>Every tick it divides the credit of the whole farm (render workers in the {@code farm-render}
 * group × {@code actorfarm.scheduling.windows-per-worker}) among the jobs with render work, by
 * weighted max-min fairness ({@link RenderShares}), using what the entities last reported (windows
 * waiting, windows in render) and each job's priority, pause and worker cap from {@code
 * farm.job-controls}. It keeps no state that matters: after a fail-over a new singleton rebuilds
 * its view from the entities' reports within a second, and entities keep their last credit
 * meanwhile.
 *
 * <p>It also keeps work moving after a crash: an active job (not finished in {@code
 * farm.job-events}) whose entity has not reported lately is sent a grant through sharding, which
 * starts the entity wherever its shard lives; the entity restores its checkpoint and carries on
 * admitting the windows it had parked.
 *
 * <p>It publishes the allocation to {@code farm.schedule} (what {@code farm status}, the API and
 * the web page show) and the backlog gauges that autoscaling reads.
 */
public final class RenderScheduler extends AbstractBehavior<RenderScheduler.Command> {

  /** Messages of the scheduler. */
  public sealed interface Command extends CborSerializable permits Report, Tick, SlotsCounted {}

  /**
   * An entity's account of its job: windows generated, admitted ({@code released}) and admitted but
   * not yet rendered; {@code done} once every window is generated and rendered.
   */
  public record Report(String jobId, int generated, int released, int inRender, boolean done)
      implements Command {
    int waiting() {
      return generated - released;
    }
  }

  private record Tick() implements Command {}

  private record SlotsCounted(int slots) implements Command {}

  private record Entry(Report report, long atNanos) {}

  /** A report older than this no longer counts: the entity is gone or moving. */
  private static final Duration STALE = Duration.ofSeconds(5);

  /** How often a silent active job's entity is woken. */
  private static final Duration WAKE_EVERY = Duration.ofSeconds(3);

  /** How often the render group's members are counted. */
  private static final Duration COUNT_EVERY = Duration.ofSeconds(2);

  /** How often the allocation is published when it changed. */
  private static final Duration PUBLISH_EVERY = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(RenderScheduler.class);

  private final JobStates jobs;
  private final FarmKafka kafka;
  private final FarmSettings.Scheduling settings;
  private final String source;
  private final RenderCapacity capacity;
  private final ExecutorService counter;
  private final ClusterSharding sharding;
  private final Map<String, Entry> entries = new HashMap<>();
  private final Set<String> done = new HashSet<>();
  private final Map<String, Double> carry = new HashMap<>();
  private final Map<String, Long> wokenAt = new HashMap<>();
  private int slots = -1;
  private boolean counting;
  private long countedAt = Long.MIN_VALUE / 2;
  private long publishedAt = Long.MIN_VALUE / 2;
  private RenderSchedule published;

  /** The scheduler's behavior; {@code renderGroup} is the render workers' consumer group. */
  public static Behavior<Command> create(
      JobStates jobs, FarmKafka kafka, FarmSettings settings, String renderGroup) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(new Tick(), settings.scheduling().tick());
                  return new RenderScheduler(ctx, jobs, kafka, settings, renderGroup);
                }));
  }

  private RenderScheduler(
      ActorContext<Command> context,
      JobStates jobs,
      FarmKafka kafka,
      FarmSettings settings,
      String renderGroup) {
    super(context);
    this.jobs = jobs;
    this.kafka = kafka;
    this.settings = settings.scheduling();
    this.source = settings.source("scheduler");
    this.capacity = new RenderCapacity(kafka.bootstrapServers(), renderGroup);
    this.counter =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "render-capacity");
              t.setDaemon(true);
              return t;
            });
    this.sharding = ClusterSharding.get(context.getSystem());
    log.info("Render scheduler started on {}", source);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Report.class, this::onReport)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(SlotsCounted.class, this::onSlots)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onReport(Report r) {
    if (r.done()) {
      entries.remove(r.jobId());
      done.add(r.jobId());
    } else {
      entries.put(r.jobId(), new Entry(r, System.nanoTime()));
      done.remove(r.jobId());
    }
    return this;
  }

  private Behavior<Command> onSlots(SlotsCounted c) {
    counting = false;
    countedAt = System.nanoTime();
    if (c.slots() >= 0 && c.slots() != slots) {
      log.info("Render workers in the farm: {} (was {})", c.slots(), Math.max(slots, 0));
      slots = c.slots();
    }
    return this;
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    if (!counting && now - countedAt > COUNT_EVERY.toNanos()) {
      counting = true;
      getContext()
          .pipeToSelf(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return capacity.workers();
                    } catch (Exception e) {
                      log.debug("Cannot count the render workers: {}", e.toString());
                      return -1;
                    }
                  },
                  counter),
              (n, e) -> new SlotsCounted(e == null ? n : -1));
    }
    entries.keySet().removeIf(this::finished);
    done.removeIf(this::finished);
    wokenAt.keySet().removeIf(this::finished);

    List<RenderShares.Demand> demands = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (now - e.atNanos() < STALE.toNanos()) {
        Report r = e.report();
        JobStates.Controls c = jobs.controls(r.jobId());
        demands.add(
            new RenderShares.Demand(
                r.jobId(), c.priority(), c.paused(), c.maxWorkers(), r.waiting(), r.inRender()));
      }
    }
    int renderSlots = Math.max(slots, settings.minRenderSlots());
    int total = renderSlots * settings.windowsPerWorker();
    Map<String, Double> fair = RenderShares.fair(demands, total);
    Map<String, RenderShares.Demand> byJob = new HashMap<>();
    demands.forEach(d -> byJob.put(d.jobId(), d));
    Map<String, Integer> grants = RenderShares.grants(fair, byJob, carry);
    grants.forEach(this::grant);
    for (String id : jobs.active()) {
      Entry e = entries.get(id);
      boolean silent = e == null || now - e.atNanos() >= STALE.toNanos();
      Long woken = wokenAt.get(id);
      if (!done.contains(id) && silent && (woken == null || now - woken > WAKE_EVERY.toNanos())) {
        wokenAt.put(id, now);
        grant(id, 0);
      }
    }
    account(demands, fair, grants, renderSlots, total, now);
    return this;
  }

  private boolean finished(String jobId) {
    return jobs.get(jobId).map(JobStates.Status::terminal).orElse(true);
  }

  private void grant(String jobId, int credit) {
    sharding.entityRefFor(MotionSession.TYPE_KEY, jobId).tell(new MotionSession.Grant(credit));
  }

  /** Sets the gauges and publishes the allocation when it changed. */
  private void account(
      List<RenderShares.Demand> demands,
      Map<String, Double> fair,
      Map<String, Integer> grants,
      int renderSlots,
      int total,
      long now) {
    Map<String, Integer> waitingByClass = new HashMap<>();
    int running = 0;
    int paused = 0;
    int backlog = 0;
    double used = fair.values().stream().mapToDouble(Double::doubleValue).sum();
    RenderSchedule.Builder schedule =
        RenderSchedule.newBuilder().setRenderSlots(renderSlots).setTotalCredit(total);
    for (RenderShares.Demand d : demands) {
      waitingByClass.merge(FarmMetrics.priorityClass(d.priority()), d.waiting(), Integer::sum);
      if (d.paused()) {
        paused += d.inRender();
      } else {
        running += d.inRender();
      }
      backlog += d.waiting() + d.inRender();
      double f = fair.getOrDefault(d.jobId(), 0.0);
      schedule.addJobs(
          JobShare.newBuilder()
              .setJobId(d.jobId())
              .setPriority(d.priority())
              .setPaused(d.paused())
              .setWeight(RenderShares.weight(d.priority()))
              .setCredit(grants.getOrDefault(d.jobId(), 0))
              .setShare(used > 0 ? f / used : 0)
              .setWaiting(d.waiting())
              .setInRender(d.inRender()));
    }
    for (String c : FarmMetrics.PRIORITY_CLASSES) {
      FarmMetrics.WAITING_WINDOWS.labelValues(c).set(waitingByClass.getOrDefault(c, 0));
    }
    FarmMetrics.IN_RENDER_WINDOWS.labelValues("running").set(running);
    FarmMetrics.IN_RENDER_WINDOWS.labelValues("paused").set(paused);
    FarmMetrics.BACKLOG_WINDOWS.set(backlog);
    FarmMetrics.RENDER_SLOTS.set(renderSlots);
    RenderSchedule value = schedule.build();
    if (now - publishedAt > PUBLISH_EVERY.toNanos()
        && (published == null || !comparable(published).equals(comparable(value)))) {
      publishedAt = now;
      published = value;
      kafka.send(
          Topics.SCHEDULE,
          Topics.SCHEDULE_KEY,
          value.toBuilder().setHeader(Headers.create("RenderSchedule", "", source, null)).build());
    }
  }

  /** The schedule without what changes every tick for nothing (the carried credit remainders). */
  private static RenderSchedule comparable(RenderSchedule s) {
    RenderSchedule.Builder b = s.toBuilder().clearHeader();
    for (int i = 0; i < b.getJobsCount(); i++) {
      b.setJobs(i, b.getJobs(i).toBuilder().clearCredit());
    }
    return b.build();
  }

  private Behavior<Command> onStop() {
    for (String c : FarmMetrics.PRIORITY_CLASSES) {
      FarmMetrics.WAITING_WINDOWS.labelValues(c).set(0);
    }
    FarmMetrics.IN_RENDER_WINDOWS.labelValues("running").set(0);
    FarmMetrics.IN_RENDER_WINDOWS.labelValues("paused").set(0);
    FarmMetrics.BACKLOG_WINDOWS.set(0);
    counter.shutdownNow();
    capacity.close();
    return this;
  }
}
