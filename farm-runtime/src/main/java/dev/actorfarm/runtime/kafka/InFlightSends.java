package dev.actorfarm.runtime.kafka;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The records a stage has handed to the producer and not yet seen acknowledged, oldest first: a
 * stage streaming a job of any length into Kafka waits here before it gets too far ahead of the
 * broker, so its memory stays bounded. Not thread-safe: one per job analysis.
 */
public final class InFlightSends {

  private final ArrayDeque<CompletableFuture<?>> sends = new ArrayDeque<>();
  private final String what;

  /** {@code what} names the records in errors ("features", "measures"). */
  public InFlightSends(String what) {
    this.what = what;
  }

  public void add(CompletableFuture<?> send) {
    sends.add(send);
  }

  /** Waits until at most {@code limit} sends are unacknowledged; a failed send fails this. */
  public void awaitBelow(int limit) throws IOException {
    try {
      while (sends.size() > limit) {
        sends.removeFirst().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while publishing " + what, e);
    } catch (ExecutionException e) {
      throw new IOException("cannot publish " + what + ": " + RoleStream.describe(e), e);
    }
  }
}
