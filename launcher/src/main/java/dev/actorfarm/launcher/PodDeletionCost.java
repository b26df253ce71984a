package dev.actorfarm.launcher;

import dev.actorfarm.runtime.metrics.FarmMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a render pod's {@code controller.kubernetes.io/pod-deletion-cost} annotation in step with
 * its work: the number of windows in hand times 1000 while busy, 0 when idle. When KEDA scales the
 * render Deployment down, the ReplicaSet removes the pods of lowest cost first, so idle workers go
 * before busy ones. The pod patches itself through the Kubernetes API with its service account
 * (k8s/base/rbac.yaml grants {@code patch} on pods).
 */
final class PodDeletionCost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PodDeletionCost.class);
  static final String ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";
  private static final Path SERVICE_ACCOUNT =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private final HttpClient http;
  private final URI pod;
  private final String token;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "pod-deletion-cost");
            t.setDaemon(true);
            return t;
          });
  private volatile long published = -1;

  PodDeletionCost(HttpClient http, URI apiServer, String namespace, String podName, String token) {
    this.http = http;
    this.pod = apiServer.resolve("/api/v1/namespaces/" + namespace + "/pods/" + podName);
    this.token = token;
  }

  /** Inside a pod: the API server, namespace, name and token from the pod's environment. */
  static PodDeletionCost inCluster() throws Exception {
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    String name = System.getenv("POD_NAME");
    String namespace = System.getenv("POD_NAMESPACE");
    if (host == null || name == null || namespace == null) {
      throw new IllegalStateException(
          "not in a pod (needs KUBERNETES_SERVICE_HOST, POD_NAME and POD_NAMESPACE)");
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(SERVICE_ACCOUNT.resolve("ca.crt"))) {
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("k8s-ca-" + i++, cert);
      }
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient http =
        HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    String token = Files.readString(SERVICE_ACCOUNT.resolve("token")).trim();
    String h = host.contains(":") ? "[" + host + "]" : host;
    return new PodDeletionCost(
        http, URI.create("https://" + h + ":" + port), namespace, name, token);
  }

  /** Checks the render stage's windows in hand every {@code period} and publishes changes. */
  PodDeletionCost start(Duration period) {
    timer.scheduleWithFixedDelay(
        () -> {
          long busy = Math.round(FarmMetrics.ITEMS_IN_PROGRESS.labelValues("render").get());
          update(busy * 1000);
        },
        0,
        period.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** Sets the annotation to {@code cost} unless it already says so; false when the API refused. */
  boolean update(long cost) {
    if (cost == published) {
      return true;
    }
    String body = "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + cost + "\"}}}";
    HttpRequest request =
        HttpRequest.newBuilder(pod)
            .timeout(Duration.ofSeconds(5))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/merge-patch+json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
            .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        log.warn("Cannot set {} to {}: HTTP {} {}", ANNOTATION, cost, r.statusCode(), r.body());
        return false;
      }
      published = cost;
      log.debug("{} = {}", ANNOTATION, cost);
      return true;
    } catch (IOException e) {
      log.warn("Cannot set {} to {}: {}", ANNOTATION, cost, e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
