package dev.actorfarm.runtime.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Features;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache Kafka broker running inside this JVM in KRaft mode (combined broker and controller),
 * its log under a directory of the farm's data dir: one node on its own, or one node of a {@link
 * Quorum} of several ({@code farm broker --voters}). Its storage is formatted on first start and
 * reused afterwards, so a restarted farm finds its topics, offsets and checkpoints.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final String bootstrapServers;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * One node of a KRaft cluster of combined brokers and controllers: the node's id, and the
   * controller address of every voter (id to host and port). A node listens on its own voter's
   * host, its broker port as its controller's.
   */
  public record Quorum(
      int nodeId, Map<Integer, Integer> controllerPorts, Map<Integer, String> controllerHosts) {

    /** Voters all on this machine's loopback address. */
    public Quorum(int nodeId, Map<Integer, Integer> controllerPorts) {
      this(nodeId, controllerPorts, loopback(controllerPorts));
    }

    private static Map<Integer, String> loopback(Map<Integer, Integer> ports) {
      Map<Integer, String> hosts = new java.util.TreeMap<>();
      ports.keySet().forEach(id -> hosts.put(id, LOOPBACK));
      return Map.copyOf(hosts);
    }

    /**
     * The voters of {@code spec}, "1@127.0.0.1:19091,2@127.0.0.1:19092,..." (or each on a host of
     * its own), as {@code nodeId}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Quorum parse(int nodeId, String spec) {
      Map<Integer, Integer> ports = new java.util.TreeMap<>();
      Map<Integer, String> hosts = new java.util.TreeMap<>();
      for (String v : spec.split(",")) {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("(\\d+)@([A-Za-z0-9][A-Za-z0-9.-]*):(\\d+)")
                .matcher(v.trim());
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "a voter is id@host:port (id@127.0.0.1:19091), got '" + v.trim() + "'");
        }
        ports.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)));
        hosts.put(Integer.parseInt(m.group(1)), m.group(2));
      }
      if (!ports.containsKey(nodeId)) {
        throw new IllegalArgumentException(
            "node " + nodeId + " is not among the voters " + ports.keySet());
      }
      return new Quorum(nodeId, Map.copyOf(ports), Map.copyOf(hosts));
    }

    /**
     * The cluster's id, the same on every node: derived from the voters' ids and ports (not their
     * hosts, so that a cluster formed on the loopback address keeps its id).
     */
    String clusterId() {
      long h = 1125899906842597L;
      for (var e : new java.util.TreeMap<>(controllerPorts).entrySet()) {
        h = 31 * h + e.getKey();
        h = 31 * h + e.getValue();
      }
      return new Uuid(h, ~h).toString();
    }

    String voters() {
      StringBuilder sb = new StringBuilder();
      new java.util.TreeMap<>(controllerPorts)
          .forEach(
              (id, port) ->
                  sb.append(sb.length() == 0 ? "" : ",")
                      .append(id)
                      .append('@')
                      .append(host(id))
                      .append(':')
                      .append(port));
      return sb.toString();
    }

    /** The host voter {@code id} listens on. */
    String host(int id) {
      return controllerHosts.getOrDefault(id, LOOPBACK);
    }

    /** Replicas of each partition: three where there are three brokers. */
    int replication() {
      return Math.min(3, controllerPorts.size());
    }
  }

  private static final String LOOPBACK = "127.0.0.1";

  /**
   * The broker session of a single-node farm, in ms: what a restart waits before its broker may
   * register again. Four heartbeats fit in it; a heartbeat is a round trip inside this process.
   */
  static final int SINGLE_SESSION_MS = Integer.getInteger("actorfarm.kafka.single-session-ms", 600);

  /** Formats {@code logDir} if needed and starts the broker; {@code port} 0 picks a free port. */
  public static EmbeddedKafka start(Path logDir, int port) throws IOException {
    return start(logDir, port, Map.of());
  }

  /** As {@link #start(Path, int)}, as one node of {@code quorum}. */
  public static EmbeddedKafka start(Path logDir, int port, Quorum quorum) throws IOException {
    return start(logDir, port, Map.of(), quorum, null);
  }

  /**
   * As {@link #start(Path, int, Quorum)}, reached by clients and the other brokers at {@code
   * advertised} ({@code host:port}) rather than where it listens: behind a relay or a NAT.
   */
  public static EmbeddedKafka start(Path logDir, int port, Quorum quorum, String advertised)
      throws IOException {
    return start(logDir, port, Map.of(), quorum, advertised);
  }

  /**
   * As {@link #start(Path, int)}, with clients authenticating by SASL/PLAIN as one of {@code users}
   * (name to password) when any are given: the client listener is then SASL_PLAINTEXT and PLAINTEXT
   * is left to the broker's own traffic, so that a client without the farm's {@code
   * actorfarm.kafka.client} security settings cannot connect.
   */
  public static EmbeddedKafka start(Path logDir, int port, Map<String, String> users)
      throws IOException {
    return start(logDir, port, users, null, null);
  }

  private static EmbeddedKafka start(
      Path logDir, int port, Map<String, String> users, Quorum quorum, String advertisedAt)
      throws IOException {
    Files.createDirectories(logDir);
    int brokerPort = port == 0 ? freePort() : port;
    int nodeId = quorum == null ? NODE_ID : quorum.nodeId();
    int controllerPort = quorum == null ? freePort() : quorum.controllerPorts().get(nodeId);
    String host = quorum == null ? LOOPBACK : quorum.host(nodeId);
    String replicas = String.valueOf(quorum == null ? 1 : quorum.replication());
    Properties props = new Properties();
    // Clients connect on brokerPort; with users, over SASL, and PLAINTEXT moves to a port of its
    // own for the broker's traffic.
    String advertised = "PLAINTEXT://" + host + ":" + brokerPort;
    String protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
    if (!users.isEmpty()) {
      StringBuilder jaas =
          new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
      users.forEach(
          (u, pw) -> jaas.append(" user_").append(u).append("=\"").append(pw).append('"'));
      jaas.append(';');
      props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.toString());
      props.put("sasl.enabled.mechanisms", "PLAIN");
      advertised =
          "SASL_PLAINTEXT://" + host + ":" + brokerPort + ",PLAINTEXT://" + host + ":" + freePort();
      protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT";
    }
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(nodeId));
    props.put(
        "controller.quorum.voters",
        quorum == null ? NODE_ID + "@" + LOOPBACK + ":" + controllerPort : quorum.voters());
    props.put(
        "listeners", advertised + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
    if (advertisedAt != null) {
      if (!users.isEmpty()) {
        throw new IllegalArgumentException("an advertised address is for a PLAINTEXT listener");
      }
      advertised = "PLAINTEXT://" + advertisedAt;
    }
    props.put("advertised.listeners", advertised);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("listener.security.protocol.map", protocols);
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    // With three nodes every partition has three replicas and a write needs two (acks=all).
    String minIsr = quorum == null || quorum.replication() < 3 ? "1" : "2";
    props.put("offsets.topic.replication.factor", replicas);
    props.put("offsets.topic.num.partitions", "8");
    props.put("transaction.state.log.replication.factor", replicas);
    props.put("transaction.state.log.min.isr", minIsr);
    props.put("default.replication.factor", replicas);
    props.put("min.insync.replicas", minIsr);
    props.put("group.initial.rebalance.delay.ms", "0");
    // After a SIGKILL the restarted node's controller still holds the broker's old registration,
    // and refuses the new one (DUPLICATE_BROKER_REGISTRATION) until that session expires: 9 s by
    // default, the largest part of a restart. The broker and its controller share this process,
    // so a short session costs nothing in false fencing. A single node (`farm render`) waits out
    // the shortest; its broker retries registration every half session.
    props.put(
        "broker.session.timeout.ms", String.valueOf(quorum == null ? SINGLE_SESSION_MS : 1500));
    props.put(
        "broker.heartbeat.interval.ms",
        String.valueOf(quorum == null ? SINGLE_SESSION_MS / 4 : 300));
    // The same restart recovers every partition's log (no clean-shutdown file): in parallel.
    props.put(
        "num.recovery.threads.per.data.dir",
        String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())));
    props.put("auto.create.topics.enable", "false");
    // A single-machine farm: segment and index files small enough not to waste disk.
    props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    props.put("message.max.bytes", String.valueOf(16 * 1024 * 1024));
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir, nodeId, quorum == null ? Uuid.randomUuid().toString() : quorum.clusterId());
    }
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    String bootstrap = host + ":" + brokerPort;
    log.info("Embedded Kafka broker (KRaft) listening on {}, log in {}", bootstrap, logDir);
    return new EmbeddedKafka(server, bootstrap);
  }

  private static void format(Path logDir, int nodeId, String clusterId) throws IOException {
    try {
      new Formatter()
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .setNodeId(nodeId)
          .setClusterId(clusterId)
          .addDirectory(logDir.toString())
          .setMetadataLogDirectory(logDir.toString())
          .setSupportedFeatures(Features.PRODUCTION_FEATURES)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .run();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** {@code host:port} for clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.shutdown();
      server.awaitShutdown();
    }
  }
}
