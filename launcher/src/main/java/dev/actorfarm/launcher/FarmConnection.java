package dev.actorfarm.launcher;

import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * How the CLI's {@code status} and {@code cancel} reach a farm: the given Kafka; else the broker of
 * a farm running on the data directory (its address is in {@code <data-dir>/broker.address}); else
 * the data directory's broker started for the duration of the command.
 */
final class FarmConnection implements AutoCloseable {

  /** The file an embedded farm writes its broker's address into while it runs. */
  static final String ADDRESS_FILE = "broker.address";

  private final String bootstrap;
  private final EmbeddedKafka broker;

  private FarmConnection(String bootstrap, EmbeddedKafka broker) {
    this.bootstrap = bootstrap;
    this.broker = broker;
  }

  /** The options by which a command names the farm it talks to (a picocli mixin). */
  static final class Options {
    @picocli.CommandLine.Option(
        names = "--kafka",
        description = "Bootstrap servers of the farm's Kafka.")
    String kafka;

    @picocli.CommandLine.Option(
        names = "--data-dir",
        defaultValue = "farm-data",
        description = "Data directory of an embedded farm (default ${DEFAULT-VALUE}).")
    Path dataDir;

    FarmConnection open() throws Exception {
      return FarmConnection.open(kafka, dataDir);
    }

    /**
     * Runs {@code action} on a job of this farm that has not finished, with a client that publishes
     * as the CLI; returns the command's exit code (2: no such job, or it already ended; 1: the farm
     * could not be reached or the action failed), having printed why.
     */
    int onActiveJob(String jobId, java.io.PrintWriter err, ActiveJobAction action) {
      try (FarmConnection farm = open()) {
        dev.actorfarm.runtime.jobs.JobStates states =
            dev.actorfarm.runtime.jobs.JobStates.snapshot(farm.bootstrap());
        var status = states.get(jobId);
        if (status.isEmpty()) {
          err.println("farm: error: no job " + jobId);
          return 2;
        }
        if (status.get().terminal()) {
          err.println(
              "farm: error: job "
                  + jobId
                  + " is already "
                  + status.get().state().name().toLowerCase(java.util.Locale.ROOT));
          return 2;
        }
        dev.actorfarm.runtime.FarmSettings settings =
            dev.actorfarm.runtime.FarmSettings.create(
                dev.actorfarm.runtime.FarmConfig.load(
                    Map.of("actorfarm.data-dir", dataDir.toAbsolutePath().toString())));
        try (dev.actorfarm.runtime.kafka.FarmKafka producer =
            new dev.actorfarm.runtime.kafka.FarmKafka(farm.bootstrap())) {
          action.run(new JobClient(producer, null, settings.source("cli")), states, settings);
        }
        return 0;
      } catch (Exception e) {
        err.println("farm: error: " + e.getMessage());
        return 1;
      }
    }
  }

  /** What {@link Options#onActiveJob} does with the job. */
  @FunctionalInterface
  interface ActiveJobAction {
    void run(
        JobClient client,
        dev.actorfarm.runtime.jobs.JobStates states,
        dev.actorfarm.runtime.FarmSettings settings)
        throws Exception;
  }

  static FarmConnection open(String kafka, Path dataDir) throws Exception {
    // The farm's client security settings (SASL/TLS), as its nodes use them.
    dev.actorfarm.runtime.kafka.KafkaClients.configure(dev.actorfarm.runtime.FarmConfig.load());
    if (kafka != null && !kafka.isBlank()) {
      return new FarmConnection(kafka, null);
    }
    Path address = dataDir.resolve(ADDRESS_FILE);
    if (Files.isRegularFile(address)) {
      String running = Files.readString(address, StandardCharsets.UTF_8).trim();
      if (reachable(running)) {
        return new FarmConnection(running, null);
      }
    }
    if (!Files.isDirectory(dataDir.resolve("kafka"))) {
      throw new IOException(
          "no farm in " + dataDir.toAbsolutePath() + " (no broker log); pass --kafka HOST:PORT");
    }
    EmbeddedKafka broker = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
    return new FarmConnection(broker.bootstrapServers(), broker);
  }

  String bootstrap() {
    return bootstrap;
  }

  private static boolean reachable(String bootstrap) {
    try (Admin admin =
        Admin.create(
            dev.actorfarm.runtime.kafka.KafkaClients.with(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                    3000,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    3000)))) {
      admin.describeCluster().clusterId().get(4, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
