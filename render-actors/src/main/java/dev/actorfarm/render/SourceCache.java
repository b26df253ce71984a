package dev.actorfarm.render;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The source states of a render node, shared by its workers, keyed by (portrait hash, face box,
 * pack, crop mode), least recently used evicted. Concurrent requests for the same key compute it
 * once.
 */
public final class SourceCache {

  /** Computes a source state. */
  @FunctionalInterface
  public interface Loader {
    SourceState load() throws Exception;
  }

  private final int capacity;
  private final Map<String, CompletableFuture<SourceState>> entries;
  private final Map<String, Boolean> order;

  public SourceCache(int capacity) {
    this.capacity = capacity;
    this.entries = new ConcurrentHashMap<>();
    this.order = new LinkedHashMap<>(16, 0.75f, true);
  }

  /** The key of a portrait's state: its bytes' hash, its face box (null: detected), pack, crop. */
  public static String key(
      String portraitSha256, dev.actorfarm.protocol.FaceBox box, String packId, boolean cropOnly) {
    return portraitSha256
        + "|"
        + dev.actorfarm.protocol.FaceBoxes.key(box)
        + "|"
        + packId
        + "|"
        + cropOnly;
  }

  /** The state for {@code key}, computed by {@code loader} on a miss. */
  public SourceState get(String key, Loader loader) throws Exception {
    CompletableFuture<SourceState> mine = new CompletableFuture<>();
    CompletableFuture<SourceState> existing = entries.putIfAbsent(key, mine);
    touch(key);
    if (existing != null) {
      try {
        return existing.join();
      } catch (java.util.concurrent.CompletionException e) {
        entries.remove(key, existing);
        throw (Exception) e.getCause();
      }
    }
    try {
      SourceState state = loader.load();
      mine.complete(state);
      return state;
    } catch (Exception e) {
      entries.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  public int size() {
    return entries.size();
  }

  private void touch(String key) {
    synchronized (order) {
      order.put(key, Boolean.TRUE);
      while (order.size() > capacity) {
        String eldest = order.keySet().iterator().next();
        order.remove(eldest);
        entries.remove(eldest);
      }
    }
  }
}
