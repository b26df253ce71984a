package dev.actorfarm.launcher;

import com.typesafe.config.Config;
import dev.actorfarm.launcher.api.ApiSettings;
import dev.actorfarm.launcher.api.FarmHttp;
import dev.actorfarm.runtime.FarmConfig;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farm serve}: the embedded farm plus the HTTP API and web page, until SIGTERM. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the farm as a service: every role, the embedded broker (unless --kafka), and the HTTP",
      "API with the web page (submit, watch, preview, download), /healthz, /readyz and /metrics.",
      "SIGTERM stops taking requests, lets the windows in flight finish, then stops."
    })
public final class ServeCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      description = "HTTP port (default: actorfarm.http.port, 8080; 0 picks a free one).")
  Integer port;

  @Option(
      names = "--interface",
      description = "Interface to listen on (default: actorfarm.http.interface, 0.0.0.0).")
  String iface;

  @Option(
      names = "--data-dir",
      defaultValue = "farm-data",
      description = "Broker log, blobs and packs (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--token",
      description = "Bearer token every /jobs request must carry (default: ACTORFARM_API_TOKEN).")
  String token;

  @Option(
      names = "--allowed-root",
      description =
          "A directory JSON submissions may name input files in (repeatable; default: none).")
  List<Path> allowedRoots;

  @Option(names = "--kafka", description = "An external Kafka (default: the embedded broker).")
  String kafka;

  @Option(
      names = "--roles",
      split = ",",
      defaultValue = "audio,video,motion,render,mux",
      description = {
        "Farm roles this process runs beside the API (default ${DEFAULT-VALUE});",
        "'none' for an API-only front end of a distributed farm (Kubernetes)."
      })
  List<String> roles;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    java.util.Set<EmbeddedFarm.Role> chosen;
    try {
      chosen = EmbeddedFarm.Role.parse(roles);
    } catch (IllegalArgumentException e) {
      err.println("farm: error: " + e.getMessage());
      return 2;
    }
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("actorfarm.data-dir", dataDir.toAbsolutePath().toString());
    if (port != null) {
      overrides.put("actorfarm.http.port", port);
    }
    if (iface != null) {
      overrides.put("actorfarm.http.interface", iface);
    }
    if (token != null) {
      overrides.put("actorfarm.http.token", token);
    }
    if (allowedRoots != null) {
      overrides.put(
          "actorfarm.http.allowed-roots",
          allowedRoots.stream().map(p -> p.toAbsolutePath().toString()).toList());
    }
    if (kafka != null) {
      overrides.put("actorfarm.kafka.bootstrap-servers", kafka);
    } else {
      overrides.put("actorfarm.kafka.static-membership", true);
    }
    Config config = FarmConfig.load(overrides);
    ApiSettings api;
    try {
      api = ApiSettings.create(config);
    } catch (java.io.IOException e) {
      err.println("farm: error: " + e.getMessage());
      return 2;
    }
    System.setProperty("actorfarm.log.dir", dataDir.toAbsolutePath().toString());
    System.setProperty("actorfarm.log.console", "INFO");
    err.println("Starting the farm (data in " + dataDir.toAbsolutePath() + ") ...");
    EmbeddedFarm farm = EmbeddedFarm.start(config, chosen);
    farm.drainOnSigterm();
    InetSocketAddress address;
    try {
      address = FarmHttp.serveApi(farm, api);
    } catch (Exception e) {
      err.println(
          "farm: error: cannot listen on "
              + api.iface()
              + ":"
              + api.port()
              + ": "
              + e.getMessage());
      farm.close();
      return 2;
    }
    String host =
        address.getAddress().isAnyLocalAddress()
            ? "localhost"
            : address.getAddress().getHostAddress();
    err.println(
        "Farm serving on http://"
            + host
            + ":"
            + address.getPort()
            + "/ (API under /jobs"
            + (api.authRequired() ? ", bearer token required" : "")
            + "; /healthz, /readyz, /metrics)");
    err.flush();
    farm.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }
}
