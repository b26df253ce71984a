package dev.actorfarm.launcher.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actorfarm.runtime.jobs.JobStates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.commons.io.file.PathUtils;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code POST /jobs} asks for, read from a multipart form (its files streamed to an upload
 * folder, the portrait within its size limit) or from JSON naming files under the allowed roots:
 * the fields checked by name and type, the files by {@link InputRoots}.
 */
final class SubmissionForms {

  private static final Logger log = LoggerFactory.getLogger(SubmissionForms.class);

  /** A JSON submission names its files; it never needs more than a few hundred bytes. */
  static final long MAX_JSON_BYTES = 64 << 10;

  static final Set<String> JSON_FIELDS =
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
          "max_workers",
          "emotion",
          "cues");

  /** The form fields that carry files. */
  static final Set<String> FILE_FIELDS = Set.of("portrait", "audio", "driving");

  /** The largest text field a form may have. */
  static final int MAX_FIELD_BYTES = 64 << 10;

  /** Parts a form may have: each field once, with room for a client that repeats one. */
  static final int MAX_PARTS = 32;

  /** What is done with an upload's submission while its files are still there. */
  @FunctionalInterface
  interface SubmitStep<T> {
    T apply(JobService.Submission s) throws JobService.ApiException;
  }

  private final Materializer materializer;
  private final Path uploads;
  private final long maxPortraitBytes;
  private final java.time.Duration uploadTimeout;
  private final InputRoots roots;
  private final ObjectMapper json =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  SubmissionForms(
      Materializer materializer,
      Path uploads,
      long maxPortraitBytes,
      java.time.Duration uploadTimeout,
      InputRoots roots)
      throws IOException {
    this.materializer = materializer;
    this.uploads = uploads;
    this.maxPortraitBytes = maxPortraitBytes;
    this.uploadTimeout = uploadTimeout;
    this.roots = roots;
    Files.createDirectories(uploads);
  }

  /** An upload being received: its folder, the files and the text fields. */
  record Upload(Path dir, Map<String, Path> files, Map<String, String> fields) {}

  /** Streams the parts to files (portrait and audio) and reads the text fields. */
  CompletionStage<Upload> receive(Multipart.FormData form) {
    Path dir = uploads.resolve(UUID.randomUUID().toString());
    Upload upload = new Upload(dir, new HashMap<>(), new HashMap<>());
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    java.util.concurrent.atomic.AtomicInteger count =
        new java.util.concurrent.atomic.AtomicInteger();
    // A stalled or trickling upload fails at the deadline (408), so that it cannot hold its files
    // and its connection for ever: each part's bytes must arrive by then.
    long deadline = System.nanoTime() + uploadTimeout.toNanos();
    return form.getParts()
        .mapAsync(
            1,
            part -> {
              String name = part.getName();
              // A form of thousands of parts, or of fields the API does not know, is refused at
              // the first part too many, not after all of it was read.
              String refusal =
                  count.incrementAndGet() > MAX_PARTS
                      ? "a submission has at most " + MAX_PARTS + " form parts"
                      : !JSON_FIELDS.contains(name) ? "unknown form field '" + name + "'" : null;
              if (refusal != null) {
                part.getEntity().discardBytes(materializer);
                return CompletableFuture.failedFuture(ApiErrors.apiError(400, refusal));
              }
              if (FILE_FIELDS.contains(name)) {
                long limit = name.equals("portrait") ? maxPortraitBytes : Long.MAX_VALUE;
                // The client's file name is never used as a path: only its extension is kept.
                String ext = extension(part.getFilename().orElse(""));
                Path file = dir.resolve(name + ext);
                upload.files().put(name, file);
                return withDeadline(part.getEntity().getDataBytes(), deadline)
                    .limitWeighted(limit, b -> (long) b.size())
                    .runWith(FileIO.toPath(file), materializer)
                    .thenApply(r -> (Object) r);
              }
              // Read to its end (an aborted part would fail the whole form with an error that
              // does not say which part), keeping at most the limit and one chunk.
              return withDeadline(part.getEntity().getDataBytes(), deadline)
                  .runWith(
                      Sink.<ByteString, ByteString>fold(
                          ByteString.emptyByteString(),
                          (acc, bytes) -> acc.size() > MAX_FIELD_BYTES ? acc : acc.concat(bytes)),
                      materializer)
                  .thenApply(
                      b -> {
                        if (b.size() > MAX_FIELD_BYTES) {
                          throw new CompletionException(
                              ApiErrors.apiError(
                                  413,
                                  "form field '"
                                      + name
                                      + "' is larger than "
                                      + (MAX_FIELD_BYTES >> 10)
                                      + " KiB"));
                        }
                        upload.fields().put(name, b.utf8String());
                        return (Object) b;
                      });
            })
        .runWith(Sink.ignore(), materializer)
        .handle(
            (done, error) -> {
              if (error != null) {
                deleteQuietly(dir);
                Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
                if (cause instanceof java.util.concurrent.TimeoutException) {
                  throw new CompletionException(
                      ApiErrors.apiError(
                          408,
                          "the upload did not complete within "
                              + uploadTimeout.toSeconds()
                              + " s (actorfarm.http.submit-timeout)"));
                }
                throw new CompletionException(error);
              }
              return upload;
            });
  }

  /**
   * {@code bytes}, failing with a TimeoutException if they have not all come by {@code deadline}.
   */
  private static org.apache.pekko.stream.javadsl.Source<ByteString, Object> withDeadline(
      org.apache.pekko.stream.javadsl.Source<ByteString, Object> bytes, long deadline) {
    long left = Math.max(1, deadline - System.nanoTime());
    return bytes.completionTimeout(java.time.Duration.ofNanos(left));
  }

  /**
   * The submission an upload makes; its folder is removed afterwards (the job's inputs are copied
   * into the blob store by then, or it was refused).
   */
  <T> T fromUpload(Upload u, SubmitStep<T> submit) throws JobService.ApiException {
    try {
      for (String f : u.fields().keySet()) {
        if (!JSON_FIELDS.contains(f) || FILE_FIELDS.contains(f)) {
          throw ApiErrors.apiError(400, "unknown form field '" + f + "'");
        }
      }
      Path portrait = u.files().get("portrait");
      Path audio = u.files().get("audio");
      Path driving = u.files().get("driving");
      if (portrait == null || (audio == null && driving == null)) {
        throw ApiErrors.apiError(
            400, "the form needs the file 'portrait' and the file 'audio' or 'driving' (or both)");
      }
      Map<String, String> f = u.fields();
      return submit.apply(
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
              intField("max_workers", f.get("max_workers"), 0),
              f.get("emotion"),
              f.get("cues")));
    } finally {
      deleteQuietly(u.dir());
    }
  }

  JobService.Submission fromJson(String body) throws JobService.ApiException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiErrors.apiError(400, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw ApiErrors.apiError(400, "the body must be a JSON object");
    }
    for (var it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!JSON_FIELDS.contains(f)) {
        throw ApiErrors.apiError(400, "unknown field '" + f + "'");
      }
    }
    String portrait = text(root, "portrait", true);
    String driving = text(root, "driving", false);
    String audio = text(root, "audio", driving == null);
    int fps = intField("fps", text(root, "fps", false), 0);
    long seed = longField("seed", text(root, "seed", false), 0);
    boolean crop = boolField("crop", text(root, "crop", false));
    return new JobService.Submission(
        roots.resolve(portrait, "portrait"),
        audio == null ? null : roots.resolve(audio, "audio"),
        driving == null ? null : roots.resolve(driving, "driving"),
        "portrait " + portrait,
        "audio " + audio,
        "driving video " + driving,
        fps,
        seed,
        text(root, "face_box", false),
        crop,
        text(root, "client_token", false),
        intField("priority", text(root, "priority", false), JobStates.DEFAULT_PRIORITY),
        intField("max_workers", text(root, "max_workers", false), 0),
        text(root, "emotion", false),
        root.hasNonNull("cues") && root.get("cues").isContainerNode()
            ? root.get("cues").toString()
            : text(root, "cues", false));
  }

  static String text(JsonNode root, String field, boolean required) throws JobService.ApiException {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw ApiErrors.apiError(400, "the field '" + field + "' is required");
      }
      return null;
    }
    if (n.isContainerNode()) {
      throw ApiErrors.apiError(400, "the field '" + field + "' must be a string or a number");
    }
    return n.asText();
  }

  static int intField(String name, String value, int dflt) throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw ApiErrors.apiError(400, name + " must be an integer, got '" + value + "'");
    }
  }

  static long longField(String name, String value, long dflt) throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw ApiErrors.apiError(400, name + " must be an integer, got '" + value + "'");
    }
  }

  static boolean boolField(String name, String value) throws JobService.ApiException {
    if (value == null || value.isBlank()) {
      return false;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "on", "yes" -> true;
      case "false", "0", "off", "no" -> false;
      default ->
          throw ApiErrors.apiError(400, name + " must be true or false, got '" + value + "'");
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
}
