package dev.actorfarm.runtime;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Routers;

/**
 * A pool of workers that do blocking work (ONNX inference, FFmpeg): each worker is restarted after
 * a failure and runs on the farm's blocking dispatcher, never on the default one.
 */
public final class WorkerPool {

  /** The dispatcher of blocking work, configured in actorfarm.conf. */
  public static final DispatcherSelector BLOCKING =
      DispatcherSelector.fromConfig("actorfarm.blocking-dispatcher");

  private WorkerPool() {}

  /** Spawns {@code size} workers of {@code worker} behind a round-robin router. */
  public static <T> ActorRef<T> spawn(
      ActorSystem<?> system, String name, int size, Behavior<T> worker) {
    return system.systemActorOf(
        Routers.pool(size, Behaviors.supervise(worker).onFailure(SupervisorStrategy.restart()))
            .withRoundRobinRouting()
            .withRouteeProps(BLOCKING),
        name,
        BLOCKING);
  }
}
