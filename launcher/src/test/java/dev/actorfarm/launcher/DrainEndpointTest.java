package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.launcher.api.FarmHttp;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.render.RenderRole;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preStop hook's {@code /drain} on a node's management port, called while windows are being
 * rendered: it answers only once the consumers have drained, and by then every window a worker had
 * started is finished, in the blob store and committed (none left half-written or to be redone).
 */
class DrainEndpointTest {

  @TempDir Path dir;

  @Test
  void drainAnswersOnceTheWindowsInHandAreRenderedAndCommitted() throws Exception {
    try (TestBroker broker = new TestBroker(dir.resolve("broker"))) {
      Map<String, Object> overrides =
          ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "drain");
      // 40 ms a frame: a window lasts about 2 s, so the drain lands while one renders.
      overrides.put("actorfarm.render.simulated-latency-per-frame", "40ms");
      EmbeddedFarm farm = EmbeddedFarm.start(FarmConfig.load(overrides));
      int port = FarmHttp.serveManagement(farm, "127.0.0.1", 0).getPort();
      JobClient client = new JobClient(broker.kafka(), farm.blobs(), "cli@drain");
      JobClient.Prepared job = client.prepare(ReferenceRender.request(), "job-drain");
      try (JobClient.Follower follower = client.submit(job)) {
        follower.awaitState(JobState.RENDERING, Duration.ofMinutes(1));
      }
      Path segments = farm.blobs().root().resolve("jobs/job-drain/segments");
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (mp4s(segments) < 1 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(700); // into the next windows

      long started = System.nanoTime();
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/drain"))
                      .timeout(Duration.ofMinutes(3))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("drained");
      farm.system()
          .getWhenTerminated()
          .toCompletableFuture()
          .get(2, java.util.concurrent.TimeUnit.MINUTES);

      long rendered = mp4s(segments);
      try (Stream<Path> files = Files.list(segments)) {
        assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")))
            .as("no half-written segment")
            .isEmpty();
      }
      long committed;
      try (Admin admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers()))) {
        committed =
            admin
                .listConsumerGroupOffsets(RenderRole.GROUP)
                .partitionsToOffsetAndMetadata()
                .get()
                .values()
                .stream()
                .mapToLong(o -> o.offset())
                .sum();
      }
      assertThat(rendered).as("windows rendered before the node stopped").isBetween(1L, 10L);
      assertThat(committed)
          .as("every window rendered is committed, and only those")
          .isEqualTo(rendered);
      System.out.printf(
          "Drain: /drain answered after %.1f s; %d windows rendered and committed, none"
              + " half-done%n",
          seconds, rendered);
    }
  }

  private static long mp4s(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".mp4")).count();
    }
  }
}
