package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The request a render pod sends to raise and lower its deletion cost, received by a local HTTP
 * server standing in for the Kubernetes API server (which this machine does not have): method,
 * path, credentials, merge-patch body, and one request per change.
 */
class PodDeletionCostTest {

  record Received(String method, String path, String auth, String type, String body) {}

  @Test
  void busyWindowsRaiseTheCostAndIdleLowersIt() throws Exception {
    List<Received> received = new CopyOnWriteArrayList<>();
    HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext(
        "/",
        ex -> {
          received.add(
              new Received(
                  ex.getRequestMethod(),
                  ex.getRequestURI().getPath(),
                  ex.getRequestHeaders().getFirst("Authorization"),
                  ex.getRequestHeaders().getFirst("Content-Type"),
                  new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          byte[] ok = "{}".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, ok.length);
          ex.getResponseBody().write(ok);
          ex.close();
        });
    api.start();
    try (PodDeletionCost cost =
        new PodDeletionCost(
            HttpClient.newHttpClient(),
            URI.create("http://127.0.0.1:" + api.getAddress().getPort()),
            "actorfarm",
            "actorfarm-render-abc12",
            "sa-token")) {
      cost.start(Duration.ofMillis(50));
      awaitCount(received, 1);
      FarmMetrics.ITEMS_IN_PROGRESS.labelValues("render").inc(2);
      awaitCount(received, 2);
      FarmMetrics.ITEMS_IN_PROGRESS.labelValues("render").dec(2);
      awaitCount(received, 3);
      Thread.sleep(300);
      assertThat(received).as("no request without a change").hasSize(3);
    } finally {
      api.stop(0);
    }
    assertThat(received)
        .allSatisfy(
            r -> {
              assertThat(r.method()).isEqualTo("PATCH");
              assertThat(r.path())
                  .isEqualTo("/api/v1/namespaces/actorfarm/pods/actorfarm-render-abc12");
              assertThat(r.auth()).isEqualTo("Bearer sa-token");
              assertThat(r.type()).isEqualTo("application/merge-patch+json");
            });
    assertThat(received.stream().map(Received::body))
        .containsExactly(
            "{\"metadata\":{\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":\"0\"}}}",
            "{\"metadata\":{\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":\"2000\"}}}",
            "{\"metadata\":{\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":\"0\"}}}");
  }

  private static void awaitCount(List<?> list, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (list.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(list).hasSizeGreaterThanOrEqualTo(n);
  }
}
