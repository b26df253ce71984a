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

/** {@code farm broker}: a standalone single-node KRaft broker for a multi-process farm. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a standalone Kafka broker (KRaft, one node) with the farm's topics, for running",
      "`farm node` processes on one machine. Production farms use a real Kafka cluster."
    })
public final class BrokerCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Port to listen on, on 127.0.0.1 (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--data-dir",
      defaultValue = "farm-broker",
      description = "Directory of the broker's log (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Files.createDirectories(dataDir);
    System.setProperty("actorfarm.log.dir", dataDir.toAbsolutePath().toString());
    FarmSettings settings =
        FarmSettings.create(
            FarmConfig.load(Map.of("actorfarm.data-dir", dataDir.toAbsolutePath().toString())));
    EmbeddedKafka broker;
    try {
      broker = EmbeddedKafka.start(dataDir.resolve("kafka"), port);
    } catch (Exception e) {
      err.println("farm: error: cannot start the broker on port " + port + ": " + e.getMessage());
      return 1;
    }
    FarmKafka.ensureTopics(broker.bootstrapServers(), settings);
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
