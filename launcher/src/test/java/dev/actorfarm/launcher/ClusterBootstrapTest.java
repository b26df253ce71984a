package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes way of forming the motion/mux cluster, without Kubernetes: {@code
 * actorfarm.cluster.bootstrap = true} starts pekko-management and Cluster Bootstrap instead of
 * joining seed nodes. Bootstrap's discovery is the only part that differs in a pod (kubernetes-api
 * there, the static config method here, pointing at this node's management endpoint), so this
 * checks the rest of the path: management up, contact point probed, a new cluster formed, the
 * sharded roles running on it.
 */
class ClusterBootstrapTest {

  @TempDir Path dir;

  @Test
  void aNodeWithBootstrapFormsTheClusterThroughPekkoManagement() throws Exception {
    int management;
    try (ServerSocket s = new ServerSocket(0)) {
      management = s.getLocalPort();
    }
    try (TestBroker broker = new TestBroker(dir.resolve("broker"))) {
      Map<String, Object> o =
          ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "bootstrap");
      o.put("actorfarm.cluster.bootstrap", true);
      o.put("pekko.management.http.hostname", "127.0.0.1");
      o.put("pekko.management.http.port", management);
      String cp = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      o.put(cp + "discovery-method", "config");
      o.put(cp + "service-name", "cluster");
      o.put(cp + "required-contact-point-nr", 1);
      o.put(cp + "stable-margin", "1s");
      o.put(cp + "interval", "500ms");
      o.put(
          "pekko.discovery.config.services.cluster.endpoints",
          List.of(Map.of("host", "127.0.0.1", "port", management)));
      long started = System.nanoTime();
      EmbeddedFarm farm =
          EmbeddedFarm.start(
              FarmConfig.load(o), EnumSet.of(EmbeddedFarm.Role.MOTION, EmbeddedFarm.Role.MUX));
      try {
        Cluster cluster = Cluster.get(farm.system());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (cluster.selfMember().status() != MemberStatus.up() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(cluster.selfMember().status()).isEqualTo(MemberStatus.up());
        // The contact point other pods probe: Cluster Bootstrap's route on the management port,
        // naming this node as the cluster's seed.
        var seeds =
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(
                                "http://127.0.0.1:" + management + "/bootstrap/seed-nodes"))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(seeds.statusCode()).isEqualTo(200);
        assertThat(seeds.body())
            .contains(cluster.selfMember().address().getPort().get().toString());
        System.out.printf(
            "Cluster Bootstrap: member up %.1f s after start, through management port %d%n",
            (System.nanoTime() - started) / 1e9, management);
      } finally {
        farm.close();
      }
    }
  }
}
