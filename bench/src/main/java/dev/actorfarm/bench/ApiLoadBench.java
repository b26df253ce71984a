package dev.actorfarm.bench;

import dev.actorfarm.launcher.JobClient;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.file.PathUtils;

/**
 * {@code N} concurrent API clients for {@code seconds} against {@code farm serve} while it renders
 * a job (issue 16): each client loops over the status routes a dashboard polls (the job list, the
 * job, /healthz, /metrics), one request at a time; every request's latency and status are kept.
 */
final class ApiLoadBench {

  private ApiLoadBench() {}

  record Result(
      int clients,
      double seconds,
      long requests,
      long errors,
      double p50Ms,
      double p99Ms,
      double maxMs,
      String firstError) {}

  static Result run(
      Path work, Path packDir, Path portrait, Path narration, int clients, double seconds)
      throws Exception {
    Path dir = work.resolve("api-load");
    if (Files.exists(dir)) {
      PathUtils.deleteDirectory(dir);
    }
    Files.createDirectories(dir);
    int port;
    try (var s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> jvm = new ArrayList<>(Bench.FARM_JVM);
    jvm.add("-Dactorfarm.model-pack.dir=" + packDir);
    Path data = dir.resolve("data");
    Process server =
        ChildRun.start(
            dir.resolve("serve.log"),
            jvm,
            dev.actorfarm.launcher.Farm.class.getName(),
            List.of("serve", "--port", String.valueOf(port), "--data-dir", data.toString()),
            false);
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (!Files.readString(dir.resolve("serve.log")).contains("Farm serving on")) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new java.io.IOException(
              "farm serve did not start; see " + dir.resolve("serve.log"));
        }
        Thread.sleep(200);
      }
      // A job renders meanwhile: the clients poll a farm at work.
      // where the embedded broker listens (the file `farm status` reads)
      String bootstrap = Files.readString(data.resolve("broker.address")).trim();
      Path audio = Inputs.loopedNarration(narration, seconds * 2, dir);
      String jobId;
      try (FarmKafka kafka = new FarmKafka(bootstrap)) {
        JobClient client = new JobClient(kafka, new BlobStore(data.resolve("blobs")), "api-load");
        var job =
            client.prepare(
                new JobClient.Request(
                    portrait,
                    audio,
                    0,
                    0,
                    null,
                    false,
                    dev.actorfarm.pack.ReferencePack.ensure(packDir).id(),
                    seconds * 2));
        client.submit(job).close();
        jobId = job.jobId();
      }
      String base = "http://127.0.0.1:" + port;
      List<URI> routes =
          List.of(
              URI.create(base + "/jobs"),
              URI.create(base + "/jobs/" + jobId),
              URI.create(base + "/healthz"),
              URI.create(base + "/metrics"));
      HttpClient http =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(10))
              .executor(Executors.newFixedThreadPool(4))
              .build();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      long end = System.nanoTime() + (long) (seconds * 1e9);
      List<Future<long[]>> results = new ArrayList<>();
      String[] firstError = {null};
      for (int c = 0; c < clients; c++) {
        int offset = c;
        results.add(
            pool.submit(
                () -> {
                  long[] lat = new long[1 << 16];
                  int n = 0;
                  long errors = 0;
                  for (int i = offset; System.nanoTime() < end; i++) {
                    URI uri = routes.get(i % routes.size());
                    long t0 = System.nanoTime();
                    try {
                      int status =
                          http.send(
                                  HttpRequest.newBuilder(uri)
                                      .timeout(Duration.ofSeconds(30))
                                      .build(),
                                  HttpResponse.BodyHandlers.discarding())
                              .statusCode();
                      if (status != 200) {
                        errors++;
                        synchronized (firstError) {
                          firstError[0] =
                              firstError[0] == null ? status + " " + uri : firstError[0];
                        }
                      }
                    } catch (Exception e) {
                      errors++;
                      synchronized (firstError) {
                        firstError[0] = firstError[0] == null ? e + " " + uri : firstError[0];
                      }
                    }
                    if (n == lat.length) {
                      lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = System.nanoTime() - t0;
                  }
                  long[] out = Arrays.copyOf(lat, n + 1);
                  out[n] = errors; // the last slot: this client's errors
                  return out;
                }));
      }
      List<Long> all = new ArrayList<>();
      long errors = 0;
      for (Future<long[]> f : results) {
        long[] r = f.get();
        for (int i = 0; i < r.length - 1; i++) {
          all.add(r[i]);
        }
        errors += r[r.length - 1];
      }
      pool.shutdown();
      List<Double> ms = all.stream().map(ns -> ns / 1e6).toList();
      return new Result(
          clients,
          seconds,
          ms.size(),
          errors,
          Report.percentile(ms, 50),
          Report.percentile(ms, 99),
          ms.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
          firstError[0]);
    } finally {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }
}
