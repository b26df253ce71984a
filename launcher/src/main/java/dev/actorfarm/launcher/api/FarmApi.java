package dev.actorfarm.launcher.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The farm's HTTP API (Pekko HTTP): jobs (submit, list, show, cancel, output with range requests,
 * live HLS preview), the web page, and the health and metrics endpoints. Every error is JSON {@code
 * {"error": ..., "status": ...}}; nothing answers with a stack trace.
 */
public final class FarmApi extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(FarmApi.class);

  static final ContentType.WithFixedCharset JSON = ContentTypes.APPLICATION_JSON;
  private static final ContentType M3U8 =
      ContentTypes.create(MediaTypes.applicationBinary("vnd.apple.mpegurl", false, "m3u8"));
  private static final ContentType MPEG_TS =
      ContentTypes.create(MediaTypes.video("mp2t", false, "ts"));
  private static final ContentType MP4 = ContentTypes.create(MediaTypes.VIDEO_MP4);
  private static final ContentType JS =
      ContentTypes.create(
          MediaTypes.applicationWithOpenCharset("javascript", "js"),
          org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);
  private static final String HLS_JS =
      "META-INF/resources/webjars/hls.js/" + webjarVersion() + "/dist/hls.min.js";
  private final JobService jobs;
  private final HlsPreview preview;
  private final ApiSettings settings;
  private final Executor blocking;
  private final ApiErrors errors;
  private final BearerAuth auth;
  private final SubmissionForms forms;
  private final ObjectMapper json =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public FarmApi(
      JobService jobs, ApiSettings settings, Materializer materializer, Executor blocking)
      throws IOException {
    this.jobs = jobs;
    this.settings = settings;
    this.blocking = blocking;
    this.preview = new HlsPreview(jobs.farm().blobs());
    this.errors = new ApiErrors(settings.maxPortraitBytes());
    this.auth = new BearerAuth(settings, errors);
    this.forms =
        new SubmissionForms(
            materializer,
            jobs.farm().settings().dataDir().resolve("uploads"),
            settings.maxPortraitBytes(),
            settings.submitTimeout(),
            new InputRoots(jobs.farm().blobs(), settings.allowedRoots()));
  }

  /** The whole API, with its error handling. */
  public Route route() {
    return handleExceptions(
        errors.exceptions(),
        () ->
            handleRejections(
                errors.rejections(),
                () ->
                    concat(
                        health(),
                        pathSingleSlash(() -> get(() -> webResource("web/index.html"))),
                        pathPrefix("ui", this::webAssets),
                        pathPrefix("jobs", () -> auth.authorized(this::jobRoutes)))));
  }

  /** Directives for routes built outside an API instance. */
  static final class Directives extends AllDirectives {}

  /** {@code /healthz}, {@code /readyz} and {@code /metrics}: also served by every node. */
  public static Route health(AllDirectives d, Supplier<Boolean> ready) {
    return d.concat(
        d.path(
            "healthz",
            () ->
                d.get(
                    () ->
                        d.complete(
                            StatusCodes.OK, HttpEntities.create(JSON, "{\"status\":\"ok\"}")))),
        d.path(
            "readyz",
            () ->
                d.get(
                    () ->
                        ready.get()
                            ? d.complete(
                                StatusCodes.OK, HttpEntities.create(JSON, "{\"status\":\"ready\"}"))
                            : d.complete(
                                StatusCodes.SERVICE_UNAVAILABLE,
                                HttpEntities.create(
                                    JSON,
                                    "{\"status\":\"not ready\",\"error\":\"stopping, or not following the job events\"}")))),
        d.path(
            "metrics",
            () ->
                d.get(
                    () ->
                        d.complete(
                            HttpEntities.create(
                                ContentTypes.TEXT_PLAIN_UTF8, FarmMetrics.scrape())))));
  }

  private Route health() {
    return health(this, jobs.farm()::ready);
  }

  private Route webAssets() {
    return get(
        () ->
            concat(
                path("hls.min.js", () -> getFromResource(HLS_JS, JS)),
                path("app.js", () -> webResource("web/app.js")),
                path("app.css", () -> webResource("web/app.css"))));
  }

  private Route webResource(String resource) {
    ContentType type =
        resource.endsWith(".js")
            ? JS
            : resource.endsWith(".css")
                ? ContentTypes.create(
                    MediaTypes.TEXT_CSS, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)
                : ContentTypes.TEXT_HTML_UTF8;
    return getFromResource(resource, type);
  }

  private Route jobRoutes() {
    return concat(
        pathEnd(
            () ->
                concat(
                    get(() -> errors.completeJson(200, listJson())),
                    post(
                        () ->
                            withSizeLimit(
                                settings.maxUploadBytes(),
                                () ->
                                    extractRequest(
                                        req -> submit(req.entity().getContentType())))))),
        pathPrefix(
            segment(),
            id ->
                concat(
                    pathEnd(() -> get(() -> job(id))),
                    path("cancel", () -> post(() -> cancel(id))),
                    path("pause", () -> post(() -> control(() -> jobs.pause(id)))),
                    path("resume", () -> post(() -> control(() -> jobs.resume(id)))),
                    path(
                        "priority",
                        () ->
                            post(
                                () ->
                                    entity(
                                        Unmarshaller.entityToString(),
                                        body ->
                                            control(
                                                () -> jobs.setPriority(id, priorityOf(body)))))),
                    path("output", () -> get(() -> output(id))),
                    pathPrefix(
                        "preview",
                        () ->
                            concat(
                                path("index.m3u8", () -> get(() -> playlist(id))),
                                path(segment(), name -> get(() -> previewSegment(id, name))))))));
  }

  // ---- jobs ----

  private Route job(String id) {
    return jobs.get(id)
        .map(j -> errors.completeJson(200, JobViews.view(j)))
        .orElseGet(() -> errors.error(404, "no job " + id));
  }

  private ArrayNode listJson() {
    ArrayNode a = json.createArrayNode();
    for (JobService.JobView j : jobs.list()) {
      a.add(JobViews.view(j));
    }
    return a;
  }

  private Route cancel(String id) {
    return onComplete(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return jobs.cancel(id, "cancelled through the API");
              } catch (JobService.ApiException e) {
                throw new CompletionException(e);
              }
            },
            blocking),
        t ->
            t.isSuccess()
                ? errors.completeJson(200, JobViews.view(t.get()))
                : errors.failure(t.failed().get()));
  }

  /** A change of a job's scheduling settings, run off the HTTP threads. */
  private Route control(ApiCall call) {
    return onComplete(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return call.run();
              } catch (JobService.ApiException e) {
                throw new CompletionException(e);
              }
            },
            blocking),
        t ->
            t.isSuccess()
                ? errors.completeJson(200, JobViews.view(t.get()))
                : errors.failure(t.failed().get()));
  }

  @FunctionalInterface
  private interface ApiCall {
    JobService.JobView run() throws JobService.ApiException;
  }

  /** The priority of a {@code POST /jobs/{id}/priority} body: {@code {"priority": N}}. */
  private int priorityOf(String body) throws JobService.ApiException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiErrors.apiError(400, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject() || !root.has("priority")) {
      throw ApiErrors.apiError(400, "the body must be a JSON object with a 'priority' of 0..100");
    }
    return SubmissionForms.intField("priority", SubmissionForms.text(root, "priority", true), 50);
  }

  private Route output(String id) {
    try {
      Path file = jobs.output(id);
      return respondWithHeader(
          RawHeader.create("Content-Disposition", "inline; filename=\"" + id + ".mp4\""),
          () -> getFromFile(file.toFile(), MP4));
    } catch (JobService.ApiException e) {
      return errors.failure(e);
    }
  }

  /** A job's spec and its rendered prefix, or the refusal. */
  private record Preview(
      JobSpec spec, dev.actorfarm.protocol.JobPlan plan, List<HlsPreview.Window> windows) {}

  /** Looks up the job and its rendered prefix off the request thread, then answers. */
  private <T> Route withPreview(
      String id, PreviewStep<T> step, java.util.function.Function<T, Route> answer) {
    return onComplete(
        CompletableFuture.supplyAsync(
            () -> {
              JobSpec spec =
                  jobs.spec(id)
                      .orElseThrow(
                          () -> new CompletionException(ApiErrors.apiError(404, "no job " + id)));
              // Before its plan the job has no frame rate and no segments: an empty preview.
              var plan =
                  jobs.plan(id)
                      .orElse(
                          dev.actorfarm.protocol.JobPlan.newBuilder()
                              .setSpec(spec)
                              .setFps(Math.max(1, spec.getOptions().getFps()))
                              .build());
              try {
                return step.apply(new Preview(spec, plan, preview.prefix(jobs.segmentsDir(id))));
              } catch (IOException | JobService.ApiException e) {
                throw new CompletionException(e);
              }
            },
            blocking),
        t -> t.isSuccess() ? answer.apply(t.get()) : errors.failure(t.failed().get()));
  }

  @FunctionalInterface
  private interface PreviewStep<T> {
    T apply(Preview p) throws IOException, JobService.ApiException;
  }

  private Route playlist(String id) {
    return withPreview(
        id,
        p ->
            HlsPreview.playlist(
                p.windows(),
                dev.actorfarm.muxer.MuxJob.planFps(p.plan()),
                jobs.get(id).map(j -> j.state() == JobState.COMPLETED).orElse(false)),
        m3u8 ->
            respondWithHeader(
                RawHeader.create("Cache-Control", "no-cache"),
                () -> complete(HttpEntities.create(M3U8, ByteString.fromString(m3u8)))));
  }

  private Route previewSegment(String id, String name) {
    if (!name.matches("\\d{6}\\.ts")) {
      return errors.error(404, "no preview segment " + name);
    }
    int index = Integer.parseInt(name.substring(0, 6));
    return withPreview(
        id,
        p -> {
          if (index >= p.windows().size()) {
            throw ApiErrors.apiError(
                404, "window " + index + " of job " + id + " is not rendered yet");
          }
          return preview.segment(p.plan(), p.windows().get(index));
        },
        file -> getFromFile(file.toFile(), MPEG_TS));
  }

  // ---- submission ----

  private Route submit(ContentType type) {
    String media = type.mediaType().toString();
    if (media.startsWith("multipart/form-data")) {
      return entity(
          Unmarshaller.entityToMultipartFormData(),
          form ->
              submitted(
                  forms
                      .receive(form)
                      .thenApplyAsync(
                          upload -> {
                            try {
                              return forms.fromUpload(upload, jobs::submit);
                            } catch (JobService.ApiException e) {
                              throw new CompletionException(e);
                            }
                          },
                          blocking)));
    }
    if (media.equals("application/json")) {
      // A JSON submission names its files; it never needs more than a few hundred bytes.
      return withSizeLimit(
          SubmissionForms.MAX_JSON_BYTES,
          () ->
              entity(
                  Unmarshaller.entityToString(),
                  body ->
                      submitted(
                          CompletableFuture.supplyAsync(
                              () -> {
                                try {
                                  return jobs.submit(forms.fromJson(body));
                                } catch (JobService.ApiException e) {
                                  throw new CompletionException(e);
                                }
                              },
                              blocking))));
    }
    return errors.error(
        415,
        "POST /jobs takes multipart/form-data (portrait, and audio or driving) or application/json,"
            + " not "
            + media);
  }

  private Route submitted(CompletionStage<JobService.Submitted> result) {
    return onComplete(
        result,
        t -> {
          if (t.isFailure()) {
            return errors.failure(t.failed().get());
          }
          JobService.Submitted s = t.get();
          return respondWithHeader(
              RawHeader.create("Location", "/jobs/" + s.job().id()),
              () -> errors.completeJson(s.created() ? 201 : 200, JobViews.view(s.job())));
        });
  }

  private static String webjarVersion() {
    // The version of the hls.js WebJar on the class path (see the launcher's pom).
    String props = "META-INF/maven/org.webjars.npm/hls.js/pom.properties";
    try (var in = FarmApi.class.getClassLoader().getResourceAsStream(props)) {
      if (in == null) {
        return "missing";
      }
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("version", "missing");
    } catch (IOException e) {
      return "missing";
    }
  }
}
