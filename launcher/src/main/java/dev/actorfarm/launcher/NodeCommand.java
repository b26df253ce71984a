package dev.actorfarm.launcher;

import com.typesafe.config.Config;
import dev.actorfarm.runtime.FarmConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farm node}: runs a set of roles against a farm's Kafka, until SIGTERM. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Run farm roles (audio, motion, render, mux) in this process against an external Kafka.",
      "Motion and mux nodes form a Pekko cluster through --cluster-seeds; audio and render nodes",
      "are plain Kafka consumer groups. Each role scales on its own: start more nodes.",
      "SIGTERM drains: in-flight windows finish and are committed before the node leaves."
    })
public final class NodeCommand implements Callable<Integer> {

  @Option(
      names = "--roles",
      split = ",",
      defaultValue = "audio,video,motion,render,mux",
      description = "Roles to run (default ${DEFAULT-VALUE}).")
  List<String> roles;

  @Option(
      names = "--kafka",
      description = "Bootstrap servers (default: ACTORFARM_KAFKA_BOOTSTRAP).")
  String kafka;

  @Option(
      names = "--cluster-seeds",
      split = ",",
      description = "Seed nodes of the motion/mux cluster, HOST:PORT (default: a cluster of one).")
  List<String> seeds = new ArrayList<>();

  @Option(
      names = "--cluster-host",
      description =
          "Address other cluster members reach this node at (default: the profile's, 127.0.0.1;"
              + " the pod IP on Kubernetes).")
  String clusterHost;

  @Option(
      names = "--cluster-port",
      description = "Cluster port of this node (a seed needs a fixed one; default: any free).")
  Integer clusterPort;

  @Option(
      names = "--blob-store",
      description = "Shared blob store root (default <data-dir>/blobs); all nodes must share it.")
  Path blobStore;

  @Option(
      names = "--data-dir",
      description =
          "This node's log and model-pack cache (default: actorfarm.data-dir, farm-data).")
  Path dataDir;

  @Option(names = "--node-name", description = "Name in events and logs (default: host name).")
  String nodeName;

  @Option(names = "--render-workers", description = "Concurrent windows of a render node.")
  Integer renderWorkers;

  @Option(
      names = "--management-port",
      description =
          "Serve /healthz, /readyz and /metrics on this port (default:"
              + " actorfarm.http.management-port; 0: off).")
  Integer managementPort;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The command line of a node of a farm on one machine, as the harnesses start them: {@code
   * name}'s data in {@code dir/name}, one render worker, the given cluster port (0: none) and seeds
   * (null: none).
   */
  public static List<String> commandLine(
      String name,
      String roles,
      String kafka,
      Path blobRoot,
      Path dir,
      int clusterPort,
      String seeds) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "node",
                "--roles",
                roles,
                "--kafka",
                kafka,
                "--blob-store",
                blobRoot.toString(),
                "--data-dir",
                dir.resolve(name).toString(),
                "--node-name",
                name,
                "--render-workers",
                "1",
                "--cluster-port",
                String.valueOf(clusterPort)));
    if (seeds != null) {
      args.addAll(List.of("--cluster-seeds", seeds));
    }
    return args;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Set<EmbeddedFarm.Role> chosen;
    try {
      chosen = EmbeddedFarm.Role.parse(roles);
    } catch (IllegalArgumentException e) {
      err.println("farm: error: " + e.getMessage());
      return 2;
    }
    if (chosen.isEmpty()) {
      err.println("farm: error: a node needs at least one role (audio, motion, render, mux)");
      return 2;
    }
    Map<String, Object> overrides = new HashMap<>();
    if (dataDir != null) {
      overrides.put("actorfarm.data-dir", dataDir.toAbsolutePath().toString());
    }
    if (kafka != null) {
      overrides.put("actorfarm.kafka.bootstrap-servers", kafka);
    }
    if (blobStore != null) {
      overrides.put("actorfarm.blob-store.root", blobStore.toAbsolutePath().toString());
    }
    if (nodeName != null) {
      overrides.put("actorfarm.node-name", nodeName);
    }
    if (renderWorkers != null) {
      overrides.put("actorfarm.render.workers", renderWorkers);
    }
    if (clusterHost != null) {
      overrides.put("pekko.remote.artery.canonical.hostname", clusterHost);
    }
    if (clusterPort != null) {
      overrides.put("pekko.remote.artery.canonical.port", clusterPort);
    }
    List<String> seedNodes = new ArrayList<>();
    for (String s : seeds) {
      if (!s.matches("[^:/@]+:\\d{1,5}")) {
        err.println("farm: error: --cluster-seeds takes HOST:PORT, got '" + s + "'");
        return 2;
      }
      seedNodes.add("pekko://actorfarm@" + s);
    }
    if (!seedNodes.isEmpty()) {
      overrides.put("pekko.cluster.seed-nodes", seedNodes);
    }
    if (managementPort != null) {
      overrides.put("actorfarm.http.management-port", managementPort);
    }
    Config config = FarmConfig.load(overrides);
    if (config.getString("actorfarm.kafka.bootstrap-servers").isBlank()) {
      err.println(
          "farm: error: a node needs --kafka HOST:PORT (for one machine: start `farm broker`)");
      return 2;
    }
    System.setProperty(
        "actorfarm.log.dir",
        java.nio.file.Path.of(config.getString("actorfarm.data-dir")).toAbsolutePath().toString());
    System.setProperty("actorfarm.log.console", "INFO");
    EmbeddedFarm farm = EmbeddedFarm.start(config, chosen);
    farm.drainOnSigterm();
    int mgmt = config.getInt("actorfarm.http.management-port");
    if (mgmt > 0) {
      var address =
          dev.actorfarm.launcher.api.FarmHttp.serveManagement(
              farm, config.getString("actorfarm.http.interface"), mgmt);
      err.println("Health and metrics on port " + address.getPort());
    }
    if (chosen.contains(EmbeddedFarm.Role.RENDER)
        && "true".equals(System.getenv("ACTORFARM_POD_DELETION_COST"))) {
      // Kubernetes: busy render pods tell the ReplicaSet to remove idle ones first.
      try {
        PodDeletionCost cost = PodDeletionCost.inCluster().start(java.time.Duration.ofSeconds(2));
        farm.system().getWhenTerminated().thenRun(cost::close);
      } catch (Exception e) {
        err.println("farm: warning: no pod deletion cost: " + e.getMessage());
      }
    }
    err.println(
        "Farm node "
            + farm.settings().nodeName()
            + " up: roles "
            + chosen
            + ", Kafka "
            + farm.kafka().bootstrapServers()
            + (seedNodes.isEmpty() ? "" : ", cluster seeds " + seedNodes));
    err.flush();
    farm.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }
}
