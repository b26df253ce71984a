package dev.actorfarm.launcher.api;

import dev.actorfarm.launcher.EmbeddedFarm;
import dev.actorfarm.runtime.WorkerPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a farm node's HTTP server: the whole API for {@code farm serve}, or only the health and
 * metrics endpoints on the management port of {@code farm node}. The server stops taking requests
 * first when the node shuts down, before its consumers drain.
 */
public final class FarmHttp {

  private static final Logger log = LoggerFactory.getLogger(FarmHttp.class);

  private FarmHttp() {}

  /** Starts the API of {@code farm serve}; returns the bound address. */
  public static InetSocketAddress serveApi(EmbeddedFarm farm, ApiSettings settings)
      throws Exception {
    // Validation, uploads' import, Kafka sends and preview muxing block: they run on the farm's
    // blocking dispatcher, as the roles' blocking work does.
    FarmApi api =
        new FarmApi(
            new JobService(farm),
            settings,
            Materializer.matFromSystem(farm.system()),
            farm.system().dispatchers().lookup(WorkerPool.BLOCKING));
    return bind(farm, settings.iface(), settings.port(), api.route(), true);
  }

  /** Starts {@code /healthz}, {@code /readyz} and {@code /metrics} on a node. */
  public static InetSocketAddress serveManagement(EmbeddedFarm farm, String iface, int port)
      throws Exception {
    AllDirectives d = new FarmApi.Directives();
    // Completed once the consumers have drained (the phase after service-requests-done).
    java.util.concurrent.CompletableFuture<Done> drained =
        new java.util.concurrent.CompletableFuture<>();
    CoordinatedShutdown.get(farm.system())
        .addTask(
            CoordinatedShutdown.PhaseServiceStop(),
            "drain-answered",
            () -> {
              drained.complete(Done.getInstance());
              return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
            });
    Route drain =
        d.path(
            "drain",
            () ->
                d.concat(
                    d.get(() -> drain(d, farm, drained)), d.post(() -> drain(d, farm, drained))));
    return bind(farm, iface, port, d.concat(FarmApi.health(d, farm::ready), drain), false);
  }

  /**
   * {@code /drain} on the management port, for Kubernetes' preStop hook: stops the node in order
   * (consumers stop fetching, the windows in flight finish and are committed, sharding hands over,
   * the node leaves the cluster) and answers once the consumers are drained, so that the hook holds
   * the pod until its work is safe. Only on the management port, never on the public API.
   */
  private static Route drain(
      AllDirectives d, EmbeddedFarm farm, java.util.concurrent.CompletableFuture<Done> drained) {
    log.info("Drain requested over HTTP (preStop)");
    CoordinatedShutdown.get(farm.system()).run(CoordinatedShutdown.unknownReason());
    return d.onComplete(
        drained,
        t ->
            d.complete(
                org.apache.pekko.http.javadsl.model.StatusCodes.OK,
                org.apache.pekko.http.javadsl.model.HttpEntities.create(
                    FarmApi.JSON, "{\"status\":\"drained\"}")));
  }

  private static InetSocketAddress bind(
      EmbeddedFarm farm, String iface, int port, Route route, boolean terminateEarly)
      throws Exception {
    NodeMetrics.attach(farm.jobs(), farm.kafka().bootstrapServers());
    ServerBinding binding =
        Http.get(farm.system())
            .newServerAt(iface, port)
            .bind(route)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    CoordinatedShutdown cs = CoordinatedShutdown.get(farm.system());
    cs.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "http-unbind",
        () -> binding.unbind().thenApply(x -> Done.getInstance()));
    // The API stops answering while the consumers drain; the management server keeps answering
    // (the preStop hook's /drain waits on it) until the actor system stops.
    cs.addTask(
        terminateEarly
            ? CoordinatedShutdown.PhaseServiceRequestsDone()
            : CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "http-terminate",
        () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "node-metrics-detach",
        () -> {
          NodeMetrics.detach(farm.jobs());
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        });
    log.info("HTTP on {}", binding.localAddress());
    return binding.localAddress();
  }
}
