package dev.actorfarm.runtime.kafka;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asks a role's intake has in flight to sharded entities, failed at once when a cluster member
 * is removed. A message that sharding routed to a member that then crashed is lost; without this,
 * its ask would wait out its whole timeout before the record is sent again. Failed asks count as
 * failures of the infrastructure ({@link TimeoutException}): the intake sends them again, sharding
 * now routes them to the shard's new home, and an entity acknowledges a copy it already handled.
 */
public final class ShardAsks {

  private static final Logger log = LoggerFactory.getLogger(ShardAsks.class);

  private static final java.time.Duration RESEND_DELAY = java.time.Duration.ofSeconds(2);

  private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();

  private ShardAsks() {}

  /** Tracks asks on {@code system}, whose cluster removals fail them; {@code name}: unique. */
  public static ShardAsks start(ActorSystem<?> system, String name) {
    ShardAsks asks = new ShardAsks();
    ActorRef<ClusterEvent.MemberRemoved> listener =
        system.systemActorOf(
            Behaviors.receive(ClusterEvent.MemberRemoved.class)
                .onMessage(
                    ClusterEvent.MemberRemoved.class,
                    removed -> {
                      // Let sharding first drop its routes to the removed member's regions, so
                      // that the asks sent again go to the shards' new homes.
                      String member = removed.member().address().toString();
                      system
                          .scheduler()
                          .scheduleOnce(
                              RESEND_DELAY, () -> asks.failAll(member), system.executionContext());
                      return Behaviors.same();
                    })
                .build(),
            name,
            Props.empty());
    Cluster.get(system)
        .subscriptions()
        .tell(Subscribe.create(listener, ClusterEvent.MemberRemoved.class));
    return asks;
  }

  /** {@code ask}, failed early if a member is removed before it completes. */
  public <T> CompletionStage<T> track(CompletionStage<T> ask) {
    CompletableFuture<T> tracked = new CompletableFuture<>();
    pending.add(tracked);
    ask.whenComplete(
        (value, error) -> {
          if (error != null) {
            tracked.completeExceptionally(error);
          } else {
            tracked.complete(value);
          }
        });
    tracked.whenComplete((v, e) -> pending.remove(tracked));
    return tracked;
  }

  private void failAll(String member) {
    if (!pending.isEmpty()) {
      log.info("Member {} removed: sending {} asks in flight again", member, pending.size());
    }
    for (CompletableFuture<?> f : pending) {
      f.completeExceptionally(
          new TimeoutException("cluster member " + member + " was removed while the ask ran"));
    }
  }
}
