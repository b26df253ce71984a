package dev.actorfarm.launcher;

import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code farm broker}: a standalone KRaft broker for a multi-process farm on one machine, alone or
 * one of several ({@code --voters}).
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a standalone Kafka broker (KRaft, broker and controller) with the farm's topics, for",
      "running `farm node` processes on one machine; with --voters, one node of a cluster of",
      "several (three: every partition on three brokers, writes need two). Production farms use",
      "a real Kafka cluster."
    })
public final class BrokerCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      defaultValue = "9092",
      description =
          "Port to listen on: on 127.0.0.1, or on this node's host in --voters"
              + " (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--data-dir",
      defaultValue = "farm-broker",
      description = "Directory of the broker's log (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--node-id",
      defaultValue = "1",
      description = "This node's id among the --voters (default ${DEFAULT-VALUE}).")
  int nodeId;

  @Option(
      names = "--voters",
      description = {
        "The cluster's controllers, id@host:port,... (the same on every node; each node"
            + " listens on its own entry's host), e.g.",
        "1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093. Default: a cluster of one."
      })
  String voters;

  @Option(
      names = "--advertise",
      paramLabel = "HOST:PORT",
      description =
          "With --voters: where clients and the other brokers reach this broker, when not where"
              + " it listens (behind a relay or a NAT). Default: where it listens.")
  String advertise;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    // Refused arguments leave nothing behind: checked before the data directory is made.
    EmbeddedKafka.Quorum quorum = null;
    if (voters != null) {
      try {
        quorum = EmbeddedKafka.Quorum.parse(nodeId, voters);
      } catch (IllegalArgumentException e) {
        err.println("farm: error: --voters: " + e.getMessage());
        return 2;
      }
    }
    if (advertise != null
        && (quorum == null || !advertise.matches("[A-Za-z0-9][A-Za-z0-9.-]*:\\d{1,5}"))) {
      err.println(
          "farm: error: --advertise takes HOST:PORT, with --voters; got '" + advertise + "'");
      return 2;
    }
    Files.createDirectories(dataDir);
    System.setProperty("actorfarm.log.dir", dataDir.toAbsolutePath().toString());
    FarmSettings settings =
        FarmSettings.create(
            FarmConfig.load(Map.of("actorfarm.data-dir", dataDir.toAbsolutePath().toString())));
    EmbeddedKafka broker;
    try {
      broker =
          quorum == null
              ? EmbeddedKafka.start(dataDir.resolve("kafka"), port)
              : EmbeddedKafka.start(dataDir.resolve("kafka"), port, quorum, advertise);
    } catch (Exception e) {
      err.println("farm: error: cannot start the broker on port " + port + ": " + e.getMessage());
      return 1;
    }
    int knownBrokers = 1;
    if (quorum != null) {
      if (FarmKafka.awaitBrokers(
          broker.bootstrapServers(),
          quorum.controllerPorts().size(),
          java.time.Duration.ofMinutes(2))) {
        knownBrokers = quorum.controllerPorts().size();
      } else {
        err.println(
            "farm: the other voters' brokers did not register within 2 minutes; creating the"
                + " topics with the brokers there are");
      }
    }
    FarmKafka.ensureTopics(broker.bootstrapServers(), settings, knownBrokers);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "broker-shutdown"));
    err.println(
        "Kafka broker listening on "
            + broker.bootstrapServers()
            + " (log in "
            + dataDir.resolve("kafka")
            + "); stop it with Ctrl-C");
    err.flush();
    stopped.await();
    return 0;
  }
}
