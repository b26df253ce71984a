package dev.actorfarm.launcher.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.commons.io.file.PathUtils;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Sink;
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
  private static final long MAX_JSON_BYTES = 64 << 10;
  private static final Set<String> JSON_FIELDS =
      Set.of(
          "portrait",
          "audio",
          "driving",
          "fps",
          "seed",
          "face_box",
          "crop",
          "client_token",
          "priority",
          "max_workers");

  /** The form fields that carry files. */
  private static final Set<String> FILE_FIELDS = Set.of("portrait", "audio", "driving");

  private final JobService jobs;
  private final HlsPreview preview;
  private final ApiSettings settings;
  private final Materializer materializer;
  private final Executor blocking;
  private final Path uploads;
  private final ObjectMapper json =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public FarmApi(
      JobService jobs, ApiSettings settings, Materializer materializer, Executor blocking)
      throws IOException {
    this.jobs = jobs;
    this.settings = settings;
    this.materializer = materializer;
    this.blocking = blocking;
    this.preview = new HlsPreview(jobs.farm().blobs());
    this.uploads = jobs.farm().settings().dataDir().resolve("uploads");
    Files.createDirectories(uploads);
  }

  /** The whole API, with its error handling. */
  public Route route() {
    return handleExceptions(
        exceptions(),
        () ->
            handleRejections(
                rejections(),
                () ->
                    concat(
                        health(),
                        pathSingleSlash(() -> get(() -> webResource("web/index.html"))),
                        pathPrefix("ui", this::webAssets),
                        pathPrefix("jobs", () -> authorized(this::jobRoutes)))));
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
                    get(() -> completeJson(200, listJson())),
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
        .map(j -> completeJson(200, view(j)))
        .orElseGet(() -> error(404, "no job " + id));
  }

  private ArrayNode listJson() {
    ArrayNode a = json.createArrayNode();
    for (JobService.JobView j : jobs.list()) {
      a.add(view(j));
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
        t -> t.isSuccess() ? completeJson(200, view(t.get())) : failure(t.failed().get()));
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
        t -> t.isSuccess() ? completeJson(200, view(t.get())) : failure(t.failed().get()));
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
      throw apiError(400, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject() || !root.has("priority")) {
      throw apiError(400, "the body must be a JSON object with a 'priority' of 0..100");
    }
    return intField("priority", text(root, "priority", true), 50);
  }

  private Route output(String id) {
    try {
      Path file = jobs.output(id);
      return respondWithHeader(
          RawHeader.create("Content-Disposition", "inline; filename=\"" + id + ".mp4\""),
          () -> getFromFile(file.toFile(), MP4));
    } catch (JobService.ApiException e) {
      return failure(e);
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
                      .orElseThrow(() -> new CompletionException(apiError(404, "no job " + id)));
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
        t -> t.isSuccess() ? answer.apply(t.get()) : failure(t.failed().get()));
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
      return error(404, "no preview segment " + name);
    }
    int index = Integer.parseInt(name.substring(0, 6));
    return withPreview(
        id,
        p -> {
          if (index >= p.windows().size()) {
            throw apiError(404, "window " + index + " of job " + id + " is not rendered yet");
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
          form -> submitted(receive(form).thenComposeAsync(this::submitUpload, blocking)));
    }
    if (media.equals("application/json")) {
      // A JSON submission names its files; it never needs more than a few hundred bytes.
      return withSizeLimit(
          MAX_JSON_BYTES,
          () ->
              entity(
                  Unmarshaller.entityToString(),
                  body ->
                      submitted(
                          CompletableFuture.supplyAsync(
                              () -> {
                                try {
                                  return jobs.submit(fromJson(body));
                                } catch (JobService.ApiException e) {
                                  throw new CompletionException(e);
                                }
                              },
                              blocking))));
    }
    return error(
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
            return failure(t.failed().get());
          }
          JobService.Submitted s = t.get();
          return respondWithHeader(
              RawHeader.create("Location", "/jobs/" + s.job().id()),
              () -> completeJson(s.created() ? 201 : 200, view(s.job())));
        });
  }

  /** An upload being received: its folder, the files and the text fields. */
  private record Upload(Path dir, Map<String, Path> files, Map<String, String> fields) {}

  /** Streams the parts to files (portrait and audio) and reads the text fields. */
  private CompletionStage<Upload> receive(Multipart.FormData form) {
    Path dir = uploads.resolve(UUID.randomUUID().toString());
    Upload upload = new Upload(dir, new HashMap<>(), new HashMap<>());
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return form.getParts()
        .mapAsync(
            1,
            part -> {
              String name = part.getName();
              if (FILE_FIELDS.contains(name)) {
                long limit = name.equals("portrait") ? settings.maxPortraitBytes() : Long.MAX_VALUE;
                // The client's file name is never used as a path: only its extension is kept.
                String ext = extension(part.getFilename().orElse(""));
                Path file = dir.resolve(name + ext);
                upload.files().put(name, file);
                return part.getEntity()
                    .getDataBytes()
                    .limitWeighted(limit, b -> (long) b.size())
                    .runWith(FileIO.toPath(file), materializer)
                    .thenApply(r -> (Object) r);
              }
              return part.getEntity()
                  .getDataBytes()
                  .limitWeighted(64 << 10, b -> (long) b.size())
                  .runWith(
                      Sink.<ByteString, ByteString>fold(
                          ByteString.emptyByteString(), (acc, b) -> acc.concat(b)),
                      materializer)
                  .thenApply(
                      b -> {
                        upload.fields().put(name, b.utf8String());
                        return (Object) b;
                      });
            })
        .runWith(Sink.ignore(), materializer)
        .handle(
            (done, error) -> {
              if (error != null) {
                deleteQuietly(dir);
                throw new CompletionException(error);
              }
              return upload;
            });
  }

  private CompletionStage<JobService.Submitted> submitUpload(Upload u) {
    try {
      for (String f : u.fields().keySet()) {
        if (!JSON_FIELDS.contains(f) || FILE_FIELDS.contains(f)) {
          throw apiError(400, "unknown form field '" + f + "'");
        }
      }
      Path portrait = u.files().get("portrait");
      Path audio = u.files().get("audio");
      Path driving = u.files().get("driving");
      if (portrait == null || (audio == null && driving == null)) {
        throw apiError(
            400, "the form needs the file 'portrait' and the file 'audio' or 'driving' (or both)");
      }
      Map<String, String> f = u.fields();
      return CompletableFuture.completedFuture(
          jobs.submit(
              new JobService.Submission(
                  portrait,
                  audio,
                  driving,
                  "the uploaded portrait",
                  "the uploaded audio",
                  "the uploaded driving video",
                  intField("fps", f.get("fps"), 0),
                  longField("seed", f.get("seed"), 0),
                  f.get("face_box"),
                  boolField("crop", f.get("crop")),
                  f.get("client_token"),
                  intField("priority", f.get("priority"), JobStates.DEFAULT_PRIORITY),
                  intField("max_workers", f.get("max_workers"), 0))));
    } catch (JobService.ApiException e) {
      return CompletableFuture.failedFuture(e);
    } finally {
      deleteQuietly(u.dir());
    }
  }

  private JobService.Submission fromJson(String body) throws JobService.ApiException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw apiError(400, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw apiError(400, "the body must be a JSON object");
    }
    for (var it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!JSON_FIELDS.contains(f)) {
        throw apiError(400, "unknown field '" + f + "'");
      }
    }
    String portrait = text(root, "portrait", true);
    String driving = text(root, "driving", false);
    String audio = text(root, "audio", driving == null);
    int fps = intField("fps", text(root, "fps", false), 0);
    long seed = longField("seed", text(root, "seed", false), 0);
    boolean crop = boolField("crop", text(root, "crop", false));
    return new JobService.Submission(
        resolveInput(portrait, "portrait"),
        audio == null ? null : resolveInput(audio, "audio"),
        driving == null ? null : resolveInput(driving, "driving"),
        "portrait " + portrait,
        "audio " + audio,
        "driving video " + driving,
        fps,
        seed,
        text(root, "face_box", false),
        crop,
        text(root, "client_token", false),
        intField("priority", text(root, "priority", false), JobStates.DEFAULT_PRIORITY),
        intField("max_workers", text(root, "max_workers", false), 0));
  }

  /**
   * The server path a JSON submission names: a {@code blob:inputs/...} URI of the farm's blob
   * store, or a {@code file:} URI or absolute path inside one of the configured allowed roots.
   * Nothing outside them can be read, through {@code ..} or through symbolic links.
   */
  Path resolveInput(String uri, String field) throws JobService.ApiException {
    BlobStore blobs = jobs.farm().blobs();
    Path p;
    if (uri.startsWith(BlobStore.SCHEME)) {
      String rel = uri.substring(BlobStore.SCHEME.length());
      if (!rel.startsWith("inputs/")) {
        throw apiError(403, field + ": only blob:inputs/... may be named");
      }
      try {
        p = blobs.resolve(uri);
      } catch (IllegalArgumentException e) {
        throw apiError(403, field + ": " + uri + " is outside the blob store");
      }
      if (!p.startsWith(blobs.root().resolve("inputs"))) {
        throw apiError(403, field + ": " + uri + " is outside the blob store's inputs");
      }
      return requireFile(p, uri, field, List.of(blobs.root()));
    }
    try {
      p = uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw apiError(400, field + ": '" + uri + "' is not a file: URI or an absolute path");
    }
    if (!p.isAbsolute()) {
      throw apiError(400, field + ": '" + uri + "' is not a file: URI or an absolute path");
    }
    if (settings.allowedRoots().isEmpty()) {
      throw apiError(
          403,
          field
              + ": this farm reads no server files (actorfarm.http.allowed-roots is empty);"
              + " upload the file as multipart/form-data");
    }
    return requireFile(p.normalize(), uri, field, settings.allowedRoots());
  }

  private static Path requireFile(Path p, String uri, String field, List<Path> roots)
      throws JobService.ApiException {
    if (roots.stream().noneMatch(p::startsWith)) {
      throw apiError(403, field + ": " + uri + " is outside the allowed roots");
    }
    Path real;
    try {
      real = p.toRealPath();
    } catch (NoSuchFileException e) {
      throw apiError(422, field + ": " + uri + " does not exist");
    } catch (IOException e) {
      throw apiError(422, field + ": " + uri + " cannot be read");
    }
    if (roots.stream().noneMatch(real::startsWith)) {
      throw apiError(403, field + ": " + uri + " is outside the allowed roots");
    }
    if (!Files.isRegularFile(real)) {
      throw apiError(422, field + ": " + uri + " is not a file");
    }
    return real;
  }

  // ---- auth ----

  private Route authorized(Supplier<Route> inner) {
    if (!settings.authRequired()) {
      return inner.get();
    }
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            parameterOptional(
                "access_token",
                query -> {
                  String given =
                      header
                          .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                          .map(h -> h.substring(7).trim())
                          .orElse(query.orElse(null));
                  if (given == null) {
                    return unauthorized(
                        "this farm needs a bearer token (Authorization: Bearer ...)");
                  }
                  if (!MessageDigest.isEqual(
                      given.getBytes(StandardCharsets.UTF_8),
                      settings.token().getBytes(StandardCharsets.UTF_8))) {
                    return unauthorized("the bearer token is not valid");
                  }
                  return inner.get();
                }));
  }

  private Route unauthorized(String message) {
    return respondWithHeader(
        RawHeader.create("WWW-Authenticate", "Bearer realm=\"actorfarm\""),
        () -> error(401, message));
  }

  // ---- errors and JSON ----

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(this::failure).build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        // A body over its route's limit, seen by an unmarshaller before any stream failed.
        .handle(
            MalformedRequestContentRejection.class,
            r ->
                r.getCause() instanceof EntityStreamSizeException e
                    ? tooLarge(e)
                    : error(400, "the request content was malformed: " + r.message()))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(
            response -> {
              if (response.entity().getContentType().equals(JSON)) {
                return response;
              }
              String text =
                  response.entity()
                          instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict s
                      ? s.getData().utf8String()
                      : response.status().reason();
              return response.withEntity(
                  HttpEntities.create(JSON, errorJson(response.status().intValue(), text)));
            });
  }

  private Route tooLarge(EntityStreamSizeException e) {
    return error(413, "the request is larger than its limit of " + e.limit() + " bytes");
  }

  /** The response for a failure: its status for refusals, 413 for too-large, else 500. */
  private Route failure(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof JobService.ApiException e) {
      return error(e.status(), e.getMessage());
    }
    // A limit hit while streaming an upload surfaces wrapped (in the file sink's failure).
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StreamLimitReachedException) {
        return error(413, "the portrait is larger than " + settings.maxPortraitBytes() + " bytes");
      }
      if (c instanceof EntityStreamSizeException e) {
        return tooLarge(e);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    if (t instanceof org.apache.pekko.http.scaladsl.model.IllegalRequestException
        || t instanceof org.apache.pekko.http.scaladsl.model.ParsingException) {
      return error(400, "malformed request: " + t.getMessage());
    }
    String ref = UUID.randomUUID().toString().substring(0, 8);
    log.error("API request failed (ref {})", ref, t);
    return error(500, "internal error (ref " + ref + "; see the farm's log)");
  }

  private Route error(int status, String message) {
    return complete(StatusCodes.get(status), HttpEntities.create(JSON, errorJson(status, message)));
  }

  private String errorJson(int status, String message) {
    ObjectNode o = json.createObjectNode();
    o.put("error", message);
    o.put("status", status);
    return o.toString();
  }

  private Route completeJson(int status, JsonNode body) {
    return complete(StatusCodes.get(status), HttpEntities.create(JSON, body.toString()));
  }

  /** A job as JSON. */
  ObjectNode view(JobService.JobView j) {
    ObjectNode o = json.createObjectNode();
    o.put("id", j.id());
    o.put("state", j.state().name());
    o.put("progress", Math.round(j.progress() * 10000) / 10000.0);
    o.put("frames_done", j.framesDone());
    o.put("total_frames", j.totalFrames());
    if (j.etaSeconds() == null) {
      o.putNull("eta_seconds");
    } else {
      o.put("eta_seconds", Math.round(j.etaSeconds() * 10) / 10.0);
    }
    if (j.error() == null) {
      o.putNull("error");
    } else {
      o.put("error", j.error());
    }
    o.put("priority", j.priority());
    o.put("paused", j.paused());
    o.put("max_workers", j.maxWorkers());
    if (j.share() == null) {
      o.putNull("share");
    } else {
      o.put("share", Math.round(j.share() * 1000) / 1000.0);
    }
    o.put("windows_waiting", j.windowsWaiting());
    o.put("windows_in_render", j.windowsInRender());
    o.put("submitted_at", Instant.ofEpochMilli(j.submittedMs()).toString());
    o.put("updated_at", Instant.ofEpochMilli(j.updatedMs()).toString());
    o.put("preview_url", "/jobs/" + j.id() + "/preview/index.m3u8");
    if (j.outputReady()) {
      o.put("output_url", "/jobs/" + j.id() + "/output");
    } else {
      o.putNull("output_url");
    }
    return o;
  }

  static JobService.ApiException apiError(int status, String message) {
    return new JobService.ApiException(status, message);
  }

  private static String text(JsonNode root, String field, boolean required)
      throws JobService.ApiException {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw apiError(400, "the field '" + field + "' is required");
      }
      return null;
    }
    if (n.isContainerNode()) {
      throw apiError(400, "the field '" + field + "' must be a string or a number");
    }
    return n.asText();
  }

  private static int intField(String name, String value, int dflt) throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw apiError(400, name + " must be an integer, got '" + value + "'");
    }
  }

  private static long longField(String name, String value, long dflt)
      throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw apiError(400, name + " must be an integer, got '" + value + "'");
    }
  }

  private static boolean boolField(String name, String value) throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return false;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "on", "yes" -> true;
      case "false", "0", "off", "no" -> false;
      default -> throw apiError(400, name + " must be true or false, got '" + value + "'");
    };
  }

  private static String extension(String filename) {
    int dot = filename.lastIndexOf('.');
    if (dot < 0) {
      return "";
    }
    String ext = filename.substring(dot).toLowerCase(Locale.ROOT);
    return ext.matches("\\.[a-z0-9]{1,5}") ? ext : "";
  }

  private static void deleteQuietly(Path dir) {
    try {
      if (Files.exists(dir)) {
        PathUtils.deleteDirectory(dir);
      }
    } catch (IOException e) {
      log.warn("Cannot remove upload folder {}: {}", dir, e.getMessage());
    }
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
