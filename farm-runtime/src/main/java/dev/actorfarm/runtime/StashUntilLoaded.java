package dev.actorfarm.runtime;

import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * An entity that loads its state before it takes any message: the load runs off the actor, the
 * messages that arrive meanwhile are stashed, and the behavior built from the loaded state gets
 * them in order. How motion and mux entities restore what a crash or a rebalance took away.
 */
public final class StashUntilLoaded {

  private StashUntilLoaded() {}

  /**
   * @param type the entity's message type
   * @param loadedType the message that carries the loaded state (or the failure to load it)
   * @param load starts the load
   * @param failed the loaded message for a load that failed
   * @param ready the behavior for the loaded state; it sees the stashed messages next
   */
  public static <C, L extends C> Behavior<C> create(
      Class<C> type,
      Class<L> loadedType,
      int stashCapacity,
      Function<ActorContext<C>, CompletionStage<L>> load,
      Function<Throwable, L> failed,
      BiFunction<ActorContext<C>, L, Behavior<C>> ready) {
    return Behaviors.withStash(
        stashCapacity,
        stash ->
            Behaviors.setup(
                ctx -> {
                  ctx.pipeToSelf(
                      load.apply(ctx), (l, error) -> error == null ? l : failed.apply(error));
                  return Behaviors.receive(type)
                      .onMessage(loadedType, l -> stash.unstashAll(ready.apply(ctx, l)))
                      .onMessage(
                          type,
                          m -> {
                            stash.stash(m);
                            return Behaviors.same();
                          })
                      .build();
                }));
  }
}
