package dev.actorfarm.muxer;

import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.kafka.javadsl.Consumer;

/**
 * The mux role: {@link Muxer} fed by the {@code farm.job-plans} and {@code farm.segments} groups.
 */
public final class MuxRole {

  public static final String GROUP = "farm-muxer";

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

  private MuxRole() {}

  /** Starts the role; returns the controls of its two consumers. */
  public static List<Consumer.DrainingControl<Done>> start(
      ActorSystem<?> system, FarmKafka kafka, FarmSettings settings, BlobStore blobs) {
    Executor blocking = system.dispatchers().lookup(WorkerPool.BLOCKING);
    ActorRef<Muxer.Command> muxer =
        system.systemActorOf(
            Muxer.create(kafka, blobs, settings, blocking), "muxer", Props.empty());
    String source = settings.source("mux");
    Consumer.DrainingControl<Done> plans =
        RoleStream.run(
            system,
            kafka,
            settings,
            Topics.JOB_PLANS,
            GROUP + "-plans",
            source,
            1,
            (JobPlan p) -> p.getSpec().getJobId(),
            (plan, record) ->
                AskPattern.<Muxer.Command, Done>askWithStatus(
                    muxer,
                    replyTo -> new Muxer.Plan(plan, replyTo),
                    ASK_TIMEOUT,
                    system.scheduler()));
    Consumer.DrainingControl<Done> segments =
        RoleStream.run(
            system,
            kafka,
            settings,
            Topics.SEGMENTS,
            GROUP,
            source,
            1,
            (SegmentRendered s) -> s.getHeader().getJobId(),
            (segment, record) ->
                AskPattern.<Muxer.Command, Done>askWithStatus(
                    muxer,
                    replyTo -> new Muxer.Segment(segment, replyTo),
                    ASK_TIMEOUT,
                    system.scheduler()));
    return List.of(plans, segments);
  }
}
