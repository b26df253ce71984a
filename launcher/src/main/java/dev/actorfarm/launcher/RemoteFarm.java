package dev.actorfarm.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.http.javadsl.model.Multiparts;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import picocli.CommandLine.Option;

/**
 * The CLI's client of a running farm's HTTP API ({@code farm serve}): Pekko HTTP's client, so that
 * uploads and downloads stream from and to disk whatever their size.
 */
final class RemoteFarm implements AutoCloseable {

  /** The options by which a command names the farm's API (a picocli mixin). */
  static final class Options {
    @Option(
        names = "--server",
        description =
            "URL of the farm's API (default: ACTORFARM_SERVER, else http://localhost:8080).")
    String server;

    @Option(
        names = "--token",
        description = "Bearer token of the API (default: ACTORFARM_API_TOKEN).")
    String token;

    /** True when the user named a server (option or environment). */
    boolean given() {
      return server != null || System.getenv("ACTORFARM_SERVER") != null;
    }

    /**
     * Runs {@code body} against the farm; a refusal or an unreachable farm is one line on {@code
     * err} and the exit code (2 for a refused request, 1 otherwise).
     */
    int run(PrintWriter err, Body body) {
      try (RemoteFarm farm = open()) {
        return body.run(farm);
      } catch (RemoteException e) {
        err.println("farm: error: " + e.getMessage());
        return e.exitCode();
      } catch (Exception e) {
        err.println("farm: error: " + e.getMessage());
        return 1;
      }
    }

    RemoteFarm open() {
      String url = server != null ? server : System.getenv("ACTORFARM_SERVER");
      String t = token != null ? token : System.getenv("ACTORFARM_API_TOKEN");
      return new RemoteFarm(url != null ? url : "http://localhost:8080", t);
    }
  }

  /** What a command does with the farm; returns its exit code. */
  @FunctionalInterface
  interface Body {
    int run(RemoteFarm farm) throws Exception;
  }

  /** A request the API refused, with its status and the API's one-line reason. */
  static final class RemoteException extends Exception {
    final int status;

    RemoteException(int status, String message) {
      super(message);
      this.status = status;
    }

    /** The CLI's exit code: 2 for a refused request (4xx), 1 otherwise. */
    int exitCode() {
      return status >= 400 && status < 500 ? 2 : 1;
    }
  }

  private static final Duration TIMEOUT = Duration.ofMinutes(30);

  private final String base;
  private final String token;
  private final ActorSystem system;
  private final Materializer mat;
  private final ObjectMapper json = new ObjectMapper();

  private RemoteFarm(String server, String token) {
    this.base = server.replaceAll("/+$", "");
    this.token = token == null || token.isBlank() ? null : token;
    this.system =
        ActorSystem.create(
            "farm-cli",
            ConfigFactory.parseMap(
                    Map.of(
                        "pekko.actor.provider", "local",
                        "pekko.loglevel", "WARNING",
                        "pekko.stdout-loglevel", "WARNING",
                        "pekko.log-dead-letters", "off",
                        "pekko.http.client.idle-timeout", "30 min",
                        "pekko.http.host-connection-pool.client.idle-timeout", "30 min"))
                .withFallback(ConfigFactory.defaultReference()));
    this.mat = Materializer.matFromSystem(system);
  }

  JsonNode jobs() throws Exception {
    return call(HttpRequest.GET(base + "/jobs"));
  }

  JsonNode job(String id) throws Exception {
    return call(HttpRequest.GET(base + "/jobs/" + id));
  }

  JsonNode cancel(String id) throws Exception {
    return call(HttpRequest.POST(base + "/jobs/" + id + "/cancel"));
  }

  JsonNode pause(String id) throws Exception {
    return call(HttpRequest.POST(base + "/jobs/" + id + "/pause"));
  }

  JsonNode resume(String id) throws Exception {
    return call(HttpRequest.POST(base + "/jobs/" + id + "/resume"));
  }

  JsonNode priority(String id, int priority) throws Exception {
    return call(
        HttpRequest.POST(base + "/jobs/" + id + "/priority")
            .withEntity(
                org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON,
                "{\"priority\": " + priority + "}"));
  }

  /** Uploads the inputs and the options as a multipart form; returns the job. */
  JsonNode submit(Path portrait, Path audio, Map<String, String> fields) throws Exception {
    return submit(portrait, audio, null, fields);
  }

  /** Uploads a job's files (audio or driving may be null, not both) and fields; the job. */
  JsonNode submit(Path portrait, Path audio, Path driving, Map<String, String> fields)
      throws Exception {
    List<Path> files = new ArrayList<>(List.of(portrait));
    for (Path p : new Path[] {audio, driving}) {
      if (p != null) {
        files.add(p);
      }
    }
    for (Path p : files) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        throw new RemoteException(400, p + " is not a readable file");
      }
    }
    List<Multipart.FormData.BodyPart> parts = new ArrayList<>();
    parts.add(filePart("portrait", portrait));
    if (audio != null) {
      parts.add(filePart("audio", audio));
    }
    if (driving != null) {
      parts.add(filePart("driving", driving));
    }
    fields.forEach(
        (k, v) ->
            parts.add(
                Multiparts.createFormDataBodyPart(
                    k, HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, v))));
    Multipart.FormData form =
        Multiparts.createFormDataFromParts(parts.toArray(Multipart.FormData.BodyPart[]::new));
    return call(HttpRequest.POST(base + "/jobs").withEntity(form.toEntity()));
  }

  /** Writes the job's MP4 to {@code out} (atomically); returns its size. */
  long download(String id, Path out) throws Exception {
    HttpResponse r = send(HttpRequest.GET(base + "/jobs/" + id + "/output"));
    if (r.status().intValue() != 200) {
      throw refusal(r);
    }
    Path target = out.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".farm-", ".mp4");
    try {
      var result =
          r.entity()
              .withoutSizeLimit()
              .getDataBytes()
              .runWith(FileIO.toPath(tmp), mat)
              .toCompletableFuture()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      BlobStore.moveAtomically(tmp, target);
      return result.getCount();
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private Multipart.FormData.BodyPart filePart(String name, Path file) {
    // Streamed from disk in chunks: an hour of narration is never held in memory.
    return Multiparts.createFormDataPartFromPath(name, ContentTypes.APPLICATION_OCTET_STREAM, file);
  }

  private JsonNode call(HttpRequest request) throws Exception {
    HttpResponse r = send(request);
    if (r.status().intValue() >= 300) {
      throw refusal(r);
    }
    return json.readTree(body(r));
  }

  private HttpResponse send(HttpRequest request) throws Exception {
    if (token != null) {
      request =
          request.addHeader(Authorization.create(HttpCredentials.createOAuth2BearerToken(token)));
    }
    try {
      return Http.get(system)
          .singleRequest(request)
          .toCompletableFuture()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new IOException("cannot reach the farm at " + base + " (" + root.getMessage() + ")", e);
    }
  }

  private RemoteException refusal(HttpResponse r) throws Exception {
    String text = body(r);
    String message = text;
    try {
      JsonNode n = json.readTree(text);
      if (n != null && n.hasNonNull("error")) {
        message = n.get("error").asText();
      }
    } catch (IOException e) {
      // Not JSON: show the text as it is.
    }
    return new RemoteException(
        r.status().intValue(), message.isBlank() ? r.status().reason() : message);
  }

  private String body(HttpResponse r) throws Exception {
    return r.entity()
        .toStrict(60_000, mat)
        .toCompletableFuture()
        .get(90, TimeUnit.SECONDS)
        .getData()
        .utf8String();
  }

  /** A job's one-line progress, for {@code status --watch} and {@code submit --watch}. */
  static String progressLine(JsonNode j) {
    double p = j.path("progress").asDouble();
    int width = 30;
    int filled = (int) Math.round(p * width);
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String eta =
        j.hasNonNull("eta_seconds") && j.get("eta_seconds").asDouble() >= 1
            ? String.format(Locale.ROOT, "  ETA %.0f s", j.get("eta_seconds").asDouble())
            : "";
    String error = j.hasNonNull("error") ? "  " + j.get("error").asText() : "";
    String share =
        j.hasNonNull("share")
            ? String.format(Locale.ROOT, "  share %.0f%%", j.get("share").asDouble() * 100)
            : "";
    return String.format(
        Locale.ROOT,
        "%s [%s] %5.1f%%  %-10s prio %d%s%s%s",
        j.path("id").asText(),
        bar,
        p * 100,
        j.path("paused").asBoolean() ? "PAUSED" : j.path("state").asText(),
        j.path("priority").asInt(JobStates.DEFAULT_PRIORITY),
        share,
        eta,
        error);
  }

  /** Follows a job until it ends, redrawing its progress line; returns its last state. */
  JsonNode watch(String id, PrintWriter out, boolean terminal) throws Exception {
    String last = null;
    while (true) {
      JsonNode j = job(id);
      String line = progressLine(j);
      String state = j.path("state").asText();
      // Off a terminal, a line per state change and per 10% of progress.
      String key = state + (int) (j.path("progress").asDouble() * 10);
      boolean done = List.of("COMPLETED", "FAILED", "CANCELLED").contains(state);
      if (terminal) {
        out.print("\r" + line + "   ");
        if (done) {
          out.println();
        }
        out.flush();
      } else if (!key.equals(last)) {
        out.println(line);
        out.flush();
      }
      last = key;
      if (done) {
        return j;
      }
      Thread.sleep(terminal ? 500 : 2000);
    }
  }

  @Override
  public void close() {
    Http.get(system).shutdownAllConnectionPools().toCompletableFuture().join();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // The CLI exits anyway.
    }
  }
}
