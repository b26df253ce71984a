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
 * An Apache Kafka broker running inside this JVM in KRaft mode (combined broker and controller, one
 * node), its log under a directory of the farm's data dir. Its storage is formatted on first start
 * and reused afterwards, so a restarted farm finds its topics, offsets and checkpoints.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final String bootstrapServers;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /** Formats {@code logDir} if needed and starts the broker; {@code port} 0 picks a free port. */
  public static EmbeddedKafka start(Path logDir, int port) throws IOException {
    return start(logDir, port, Map.of());
  }

  /**
   * As {@link #start(Path, int)}, with clients authenticating by SASL/PLAIN as one of {@code users}
   * (name to password) when any are given: the client listener is then SASL_PLAINTEXT and PLAINTEXT
   * is left to the broker's own traffic, so that a client without the farm's {@code
   * actorfarm.kafka.client} security settings cannot connect.
   */
  public static EmbeddedKafka start(Path logDir, int port, Map<String, String> users)
      throws IOException {
    Files.createDirectories(logDir);
    int brokerPort = port == 0 ? freePort() : port;
    int controllerPort = freePort();
    Properties props = new Properties();
    // Clients connect on brokerPort; with users, over SASL, and PLAINTEXT moves to a port of its
    // own for the broker's traffic.
    String advertised = "PLAINTEXT://127.0.0.1:" + brokerPort;
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
          "SASL_PLAINTEXT://127.0.0.1:" + brokerPort + ",PLAINTEXT://127.0.0.1:" + freePort();
      protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT";
    }
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    props.put(
        "listeners", advertised + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", advertised);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("listener.security.protocol.map", protocols);
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "8");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    // A single-machine farm: segment and index files small enough not to waste disk.
    props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    props.put("message.max.bytes", String.valueOf(16 * 1024 * 1024));
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir);
    }
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    String bootstrap = "127.0.0.1:" + brokerPort;
    log.info("Embedded Kafka broker (KRaft) listening on {}, log in {}", bootstrap, logDir);
    return new EmbeddedKafka(server, bootstrap);
  }

  private static void format(Path logDir) throws IOException {
    try {
      new Formatter()
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
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
    server.shutdown();
    server.awaitShutdown();
  }
}
