package dev.actorfarm.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * Network delay for the chaos farm, where the kernel has no {@code tc netem}: a TCP relay in front
 * of one broker that the brokers advertise instead of themselves, so every Kafka connection to that
 * broker (clients, replication) passes through it. While a process is delayed ({@link #delay}),
 * every byte to or from it on a relayed connection is held back by that much, in order, without
 * slowing the stream's throughput: the latency of a slow link, which is what netem's {@code delay}
 * gives. A delayed broker delays all of its relayed connections; a delayed node, the connections it
 * opened. Connections are told apart by their peer's address, one per process on the farm's bridge
 * ({@link ChaosNetwork}).
 *
 * <p>No library here relays with a delay (Toxiproxy's "latency" toxic is a Go server), and the farm
 * needs none at run time: this is the harness's, about a hundred lines of blocking sockets, two
 * threads a direction.
 */
final class DelayProxy implements AutoCloseable {

  /** Processes delayed now, by name, with their delay in milliseconds. */
  private static final Map<String, Long> DELAYED = new ConcurrentHashMap<>();

  /** Chunks relayed late since this JVM started: evidence that a delay reached the traffic. */
  private static final java.util.concurrent.atomic.AtomicLong HELD_BACK =
      new java.util.concurrent.atomic.AtomicLong();

  private final String broker;
  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final Function<InetAddress, String> processOf;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private DelayProxy(
      String broker,
      ServerSocket server,
      InetSocketAddress upstream,
      Function<InetAddress, String> processOf) {
    this.broker = broker;
    this.server = server;
    this.upstream = upstream;
    this.processOf = processOf;
  }

  /**
   * Relays {@code listen} to {@code upstream}, the listener of {@code broker}; {@code processOf}
   * names the process at a connecting address (null for one outside the farm).
   */
  static DelayProxy start(
      String broker,
      InetSocketAddress listen,
      InetSocketAddress upstream,
      Function<InetAddress, String> processOf)
      throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(listen, 512);
    DelayProxy proxy = new DelayProxy(broker, server, upstream, processOf);
    Thread accept = new Thread(proxy::acceptLoop, "delay-proxy-" + broker);
    accept.setDaemon(true);
    accept.start();
    return proxy;
  }

  /** Delays every relayed byte to or from {@code process} by {@code millis} (0: no more). */
  static void delay(String process, long millis) {
    if (millis <= 0) {
      DELAYED.remove(process);
    } else {
      DELAYED.put(process, millis);
    }
  }

  /** How many chunks of relayed traffic have been held back so far, by every relay. */
  static long heldBack() {
    return HELD_BACK.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Thread t = new Thread(() -> connect(client), "delay-proxy-" + broker + "-connect");
      t.setDaemon(true);
      t.start();
    }
  }

  private void connect(Socket client) {
    Socket target = new Socket();
    try {
      target.connect(upstream, 5000);
      client.setTcpNoDelay(true);
      target.setTcpNoDelay(true);
    } catch (IOException e) {
      // The broker is down or cut off: the client sees a refused connection, as it would.
      closeQuietly(client);
      closeQuietly(target);
      return;
    }
    open.add(client);
    open.add(target);
    String peer = processOf.apply(client.getInetAddress());
    pump(client, target, peer);
    pump(target, client, peer);
  }

  /** Copies {@code from} to {@code to}, each chunk held back by the delay in force when read. */
  private void pump(Socket from, Socket to, String peer) {
    BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try (InputStream in = from.getInputStream()) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                  long delay = delayNanos(peer);
                  if (delay > 0) {
                    HELD_BACK.incrementAndGet();
                  }
                  queue.put(new Chunk(System.nanoTime() + delay, Arrays.copyOf(buf, n)));
                }
              } catch (IOException | InterruptedException e) {
                // the connection ended
              }
              queue.add(Chunk.END);
            },
            "delay-proxy-" + broker + "-read");
    Thread writer =
        new Thread(
            () -> {
              try (OutputStream out = to.getOutputStream()) {
                for (Chunk c = queue.take(); c != Chunk.END; c = queue.take()) {
                  long wait = c.due() - System.nanoTime();
                  if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                  }
                  out.write(c.bytes());
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the connection ended
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "delay-proxy-" + broker + "-write");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private long delayNanos(String peer) {
    long ms =
        Math.max(
            DELAYED.getOrDefault(broker, 0L), peer == null ? 0 : DELAYED.getOrDefault(peer, 0L));
    return ms * 1_000_000;
  }

  private record Chunk(long due, byte[] bytes) {
    static final Chunk END = new Chunk(0, new byte[0]);
  }

  private static void closeQuietly(java.io.Closeable s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    open.forEach(DelayProxy::closeQuietly);
  }
}
