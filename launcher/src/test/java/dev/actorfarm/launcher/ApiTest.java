package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actorfarm.launcher.api.ApiSettings;
import dev.actorfarm.launcher.api.FarmHttp;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The HTTP API end to end on the embedded farm (a real broker, every role, the real renderer and
 * FFmpeg): the CLI submits, watches and downloads over HTTP; the output equals the reference
 * render; the preview is HLS with audio; cancel, auth, upload limits, path traversal and malformed
 * requests are refused with 4xx and a JSON error.
 */
class ApiTest {

  static final String TOKEN = "s3cret-token";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static TestBroker broker;
  static EmbeddedFarm farm;
  static String base;
  static Path allowed;
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void startFarm() throws Exception {
    broker = new TestBroker(dir.resolve("broker"));
    allowed = Files.createDirectories(dir.resolve("allowed"));
    Files.copy(ReferenceRender.ASTRONAUT, allowed.resolve("astronaut.png"));
    Files.copy(ReferenceRender.NARRATION, allowed.resolve("narration.ogg"));
    Map<String, Object> overrides =
        ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "api");
    overrides.put("actorfarm.http.port", 0);
    overrides.put("actorfarm.http.interface", "127.0.0.1");
    overrides.put("actorfarm.http.token", TOKEN);
    overrides.put("actorfarm.http.max-upload-size", "2MiB");
    overrides.put("actorfarm.http.max-portrait-size", "1MiB");
    overrides.put("actorfarm.http.allowed-roots", List.of(allowed.toString()));
    var config = FarmConfig.load(overrides);
    farm = EmbeddedFarm.start(config);
    var address = FarmHttp.serveApi(farm, ApiSettings.create(config));
    base = "http://127.0.0.1:" + address.getPort();
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void submitWatchDownloadThroughTheCliAndTheApi() throws Exception {
    // Submit through the CLI, following the job to the end and downloading it.
    Path out = dir.resolve("cli/out.mp4");
    Cli submit =
        cli(
            "submit",
            "--server",
            base,
            "--token",
            TOKEN,
            "--portrait",
            ReferenceRender.ASTRONAUT.toString(),
            "--audio",
            ReferenceRender.NARRATION.toString(),
            "--client-token",
            "reference-1",
            "--priority",
            "70",
            "--out",
            out.toString());
    assertThat(submit.code).as(submit.err).isZero();
    String id = submit.out.trim();
    assertThat(id).startsWith("job-");
    assertThat(submit.err).contains("COMPLETED").contains("100.0%");

    // The job as the API shows it.
    JsonNode job = json(get("/jobs/" + id, TOKEN));
    assertThat(job.get("state").asText()).isEqualTo("COMPLETED");
    assertThat(job.get("progress").asDouble()).isEqualTo(1.0);
    assertThat(job.get("total_frames").asInt()).isEqualTo(528);
    assertThat(job.get("output_url").asText()).isEqualTo("/jobs/" + id + "/output");
    assertThat(job.get("error").isNull()).isTrue();
    assertThat(job.get("priority").asInt()).isEqualTo(70);
    // and the CLI's status line through the API shows the priority
    Cli line = cli("status", "--server", base, "--token", TOKEN, id);
    assertThat(line.out).contains("prio 70");
    JsonNode all = json(get("/jobs", TOKEN));
    assertThat(all.findValuesAsText("id")).contains(id);

    // The output equals the reference render frame for frame.
    DecodedVideo reference = ReferenceRender.get().video();
    DecodedVideo downloaded = DecodedVideo.decode(out);
    assertThat(downloaded.hashes()).isEqualTo(reference.hashes());
    assertThat(downloaded.audioCodec()).isEqualTo("aac");

    // The whole file, and a range of it.
    HttpResponse<byte[]> whole = get("/jobs/" + id + "/output", TOKEN);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.headers().firstValue("Content-Type")).contains("video/mp4");
    assertThat(whole.body()).isEqualTo(Files.readAllBytes(out));
    HttpResponse<byte[]> range =
        send(request("/jobs/" + id + "/output", TOKEN).header("Range", "bytes=100-1099").GET());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.headers().firstValue("Content-Range"))
        .contains("bytes 100-1099/" + whole.body().length);
    assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(whole.body(), 100, 1100));

    // `farm download` writes the same bytes.
    Path again = dir.resolve("cli/again.mp4");
    Cli download =
        cli("download", id, "--server", base, "--token", TOKEN, "--out", again.toString());
    assertThat(download.code).as(download.err).isZero();
    assertThat(Files.readAllBytes(again)).isEqualTo(whole.body());

    // `farm status` over HTTP.
    Cli status = cli("status", id, "--server", base, "--token", TOKEN);
    assertThat(status.code).as(status.err).isZero();
    assertThat(status.out).contains(id).contains("COMPLETED").contains("100.0%");

    // The same client token is the same job: nothing is queued again.
    HttpResponse<byte[]> retry =
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of("client_token", "reference-1"),
            Map.of(
                "portrait", ReferenceRender.ASTRONAUT,
                "audio", ReferenceRender.NARRATION));
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(json(retry).get("id").asText()).isEqualTo(id);

    // The preview: a complete HLS playlist of every window, each segment with video and audio.
    HttpResponse<byte[]> playlist = get("/jobs/" + id + "/preview/index.m3u8", TOKEN);
    assertThat(playlist.statusCode()).isEqualTo(200);
    String m3u8 = new String(playlist.body(), StandardCharsets.UTF_8);
    assertThat(m3u8).startsWith("#EXTM3U").contains("#EXT-X-ENDLIST");
    List<String> segments = m3u8.lines().filter(l -> l.endsWith(".ts")).toList();
    assertThat(segments).hasSize(11).first().isEqualTo("000000.ts");
    HttpResponse<byte[]> ts = get("/jobs/" + id + "/preview/000003.ts", TOKEN);
    assertThat(ts.statusCode()).isEqualTo(200);
    assertThat(ts.headers().firstValue("Content-Type")).contains("video/mp2t");
    Path tsFile = Files.write(dir.resolve("w3.ts"), ts.body());
    DecodedVideo preview = DecodedVideo.decode(tsFile);
    assertThat(preview.videoCodec()).isEqualTo("h264");
    assertThat(preview.audioCodec()).isEqualTo("aac");
    assertThat(preview.frames()).hasSize(50);
    // Window 3 starts at frame 150: 6 s into the job (the player's timeline is continuous).
    assertThat(preview.timestamps().get(0)).isBetween(5_950_000L, 6_050_000L);
    assertThat(preview.audioSeconds()).isBetween(1.8, 2.1);
    assertThat(preview.hashes()).isEqualTo(reference.hashes().subList(150, 200));
    System.out.println(
        "API: job "
            + id
            + " completed; "
            + segments.size()
            + " preview segments; output "
            + whole.body().length
            + " bytes");
  }

  @Test
  void jsonSubmissionNamesFilesInTheAllowedRootsOnly() throws Exception {
    // A file inside the allowed root: accepted (a new seed makes a new job).
    HttpResponse<byte[]> ok =
        postJson(
            "{\"portrait\":\""
                + allowed.resolve("astronaut.png").toUri()
                + "\",\"audio\":\""
                + allowed.resolve("narration.ogg")
                + "\",\"seed\":7}");
    assertThat(ok.statusCode()).as(body(ok)).isEqualTo(201);
    String id = json(ok).get("id").asText();
    // The same inputs directed (cues as JSON in the body) are another job.
    HttpResponse<byte[]> directed =
        postJson(
            "{\"portrait\":\""
                + allowed.resolve("astronaut.png")
                + "\",\"audio\":\""
                + allowed.resolve("narration.ogg")
                + "\",\"seed\":7,\"cues\":{\"controls\":{\"head_motion_scale\":0.5},"
                + "\"cues\":[{\"time\":0,\"emotion\":\"sad\",\"intensity\":0.6}]}}");
    assertThat(directed.statusCode()).as(body(directed)).isEqualTo(201);
    assertThat(json(directed).get("id").asText()).isNotEqualTo(id);
    assertThat(
            send(request("/jobs/" + json(directed).get("id").asText() + "/cancel", TOKEN)
                    .POST(noBody()))
                .statusCode())
        .isLessThan(300);
    assertThat(json(ok).get("state").asText()).isEqualTo("SUBMITTED");
    assertThat(json(ok).get("priority").asInt()).isEqualTo(50);

    // Its scheduling: priority, pause and resume, each answered with the job as it now is.
    HttpResponse<byte[]> raised =
        send(
            request("/jobs/" + id + "/priority", TOKEN)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"priority\": 80}")));
    assertThat(raised.statusCode()).as(body(raised)).isEqualTo(200);
    assertThat(json(raised).get("priority").asInt()).isEqualTo(80);
    HttpResponse<byte[]> paused = send(request("/jobs/" + id + "/pause", TOKEN).POST(noBody()));
    assertThat(paused.statusCode()).as(body(paused)).isEqualTo(200);
    assertThat(json(paused).get("paused").asBoolean()).isTrue();
    assertThat(json(get("/jobs/" + id, TOKEN)).get("paused").asBoolean()).isTrue();
    HttpResponse<byte[]> resumed = send(request("/jobs/" + id + "/resume", TOKEN).POST(noBody()));
    assertThat(json(resumed).get("paused").asBoolean()).isFalse();
    assertThat(json(resumed).get("priority").asInt()).isEqualTo(80);
    for (String bad : List.of("{\"priority\": 101}", "{\"priority\": \"high\"}", "{}", "[")) {
      assertThat(
              send(request("/jobs/" + id + "/priority", TOKEN)
                      .header("Content-Type", "application/json")
                      .POST(java.net.http.HttpRequest.BodyPublishers.ofString(bad)))
                  .statusCode())
          .as(bad)
          .isEqualTo(400);
    }
    assertError(send(request("/jobs/job-none/pause", TOKEN).POST(noBody())), 404, "no job");

    // Cancel it: the API says CANCELLED, its files go, a second cancel is a conflict.
    HttpResponse<byte[]> cancel = send(request("/jobs/" + id + "/cancel", TOKEN).POST(noBody()));
    assertThat(cancel.statusCode()).as(body(cancel)).isEqualTo(200);
    assertThat(json(cancel).get("state").asText()).isEqualTo("CANCELLED");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!json(get("/jobs/" + id, TOKEN)).get("state").asText().equals("CANCELLED")) {
      assertThat(System.nanoTime()).as("the job is CANCELLED within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(farm.blobs().root().resolve("jobs/" + id + "/output.mp4")).doesNotExist();
    assertError(send(request("/jobs/" + id + "/cancel", TOKEN).POST(noBody())), 409, "already");
    assertError(send(request("/jobs/" + id + "/pause", TOKEN).POST(noBody())), 409, "already");
    assertError(get("/jobs/" + id + "/output", TOKEN), 409, "no output");

    // Outside the allowed roots, by every route there is.
    Path outside = Files.writeString(dir.resolve("secret.txt"), "not yours");
    Files.createSymbolicLink(allowed.resolve("link.png"), outside);
    for (String uri :
        List.of(
            "file:///etc/passwd",
            "/etc/passwd",
            allowed + "/../secret.txt",
            allowed.toUri() + "../secret.txt",
            allowed.resolve("link.png").toString(),
            "blob:../../../etc/passwd",
            "blob:jobs/x/output.mp4")) {
      HttpResponse<byte[]> r =
          postJson(
              "{\"portrait\":\""
                  + uri
                  + "\",\"audio\":\""
                  + allowed.resolve("narration.ogg")
                  + "\"}");
      assertError(r, 403, "portrait");
    }
    assertError(
        postJson("{\"portrait\":\"relative/x.png\",\"audio\":\"a.ogg\"}"), 400, "absolute path");
    assertError(
        postJson("{\"portrait\":\"" + allowed.resolve("missing.png") + "\",\"audio\":\"/x\"}"),
        422,
        "does not exist");
    // Job ids never reach the file system unchecked.
    assertError(get("/jobs/..%2F..%2Fetc%2Fpasswd/output", TOKEN), 404, "no job");
    assertError(get("/jobs/../../etc/passwd", TOKEN), 404, "");
    assertError(get("/ui/../../../../etc/passwd", null), 404, "");
    assertError(get("/jobs/nope/preview/..%2Foutput.mp4", TOKEN), 404, "");
  }

  @Test
  void badRequestsGetA4xxWithAJsonError() throws Exception {
    assertError(postJson("{\"portrait\": "), 400, "malformed JSON");
    assertError(postJson("[1,2]"), 400, "JSON object");
    assertError(postJson("{\"portrait\":\"/a\",\"audio\":\"/b\",\"colour\":1}"), 400, "colour");
    assertError(postJson("{\"audio\":\"/b\"}"), 400, "'portrait' is required");
    assertError(postJson("{\"portrait\":\"/a\",\"audio\":\"/b\",\"fps\":\"x\"}"), 400, "fps");
    assertError(
        send(
            request("/jobs", TOKEN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello"))),
        415,
        "multipart/form-data");
    assertError(get("/jobs/job-0000000000000000", TOKEN), 404, "no job");
    assertError(send(request("/jobs/x/output", TOKEN).DELETE()), 405, "");
    assertError(get("/nothing-here", null), 404, "could not be found");

    // A form without its files, and one whose audio is not audio.
    assertError(postMultipart("/jobs", TOKEN, Map.of("seed", "1"), Map.of()), 400, "'portrait'");
    Path notAudio = Files.writeString(dir.resolve("notes.wav"), "not audio at all");
    assertError(
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of(),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", notAudio)),
        422,
        "the uploaded audio is not audio");
    // A decompression bomb: refused from its header with a 4xx, and the server stays healthy.
    Path bomb = Files.write(dir.resolve("bomb.png"), BadInputTest.pngDeclaring(60000, 60000));
    assertError(
        postMultipart(
            "/jobs", TOKEN, Map.of(), Map.of("portrait", bomb, "audio", ReferenceRender.NARRATION)),
        422,
        "declares 60000x60000 px");
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    // Bad direction: each refused with its one line, in a form and in JSON.
    Map<String, Path> files =
        Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", ReferenceRender.NARRATION);
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("emotion", "happy@0,gloomy@3"), files),
        422,
        "cue 2 at 3 s: unknown emotion 'gloomy'");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("emotion", "happy:1.5@0"), files),
        422,
        "intensity 1.5 is outside 0..1");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("emotion", "happy@9,sad@4"), files),
        422,
        "cue 2 at 4 s is not after cue 1 at 9 s");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("emotion", "happy@0,sad@400"), files),
        422,
        "past the end of the narration");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("cues", "{\"controls\": {\"wobble\": 1}}"), files),
        422,
        "control 'wobble' is unknown");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("cues", "[{\"time\": "), files),
        422,
        "cues is not valid JSON");
    // farm submit: a bad label is refused before the upload, a cue past the end by the server
    String[] job = {
      "submit",
      "--server",
      base,
      "--token",
      TOKEN,
      "--portrait",
      ReferenceRender.ASTRONAUT.toString(),
      "--audio",
      ReferenceRender.NARRATION.toString()
    };
    Cli local = cli(concat(job, "--emotion", "elated@0"));
    assertThat(local.code).isEqualTo(2);
    assertThat(local.err.strip()).startsWith("farm: error: cue 1 at 0 s: unknown emotion 'elated'");
    Cli remote = cli(concat(job, "--emotion", "happy@0,sad@400"));
    assertThat(remote.code).as(remote.err).isNotZero();
    assertThat(remote.err).contains("cue 2 at 400 s is past the end of the narration");
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    // Thousands of parts: refused at the first one too many, and unknown fields at the first.
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      many.append("--b\r\nContent-Disposition: form-data; name=\"seed\"\r\n\r\n1\r\n");
    }
    many.append("--b--\r\n");
    assertError(
        send(
            request("/jobs", TOKEN)
                .header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(many.toString()))),
        400,
        "at most 32 form parts");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("colour", "red"), Map.of()),
        400,
        "unknown form field 'colour'");
    assertError(
        postMultipart("/jobs", TOKEN, Map.of("seed", "1".repeat(70_000)), Map.of()),
        413,
        "form field 'seed' is larger than 64 KiB");
    // A very long, non-ASCII file name is only ever read for its extension.
    Path oddName = dir.resolve("ü€".repeat(45) + ".wav"); // 229 bytes: near the file system's limit
    Files.writeString(oddName, "not audio either");
    assertError(
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of(),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", oddName)),
        422,
        "the uploaded audio is not audio");
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void theSameSubmissionFiftyTimesAtOnceIsOneJob() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(50);
    try {
      List<java.util.concurrent.Future<HttpResponse<byte[]>>> sent = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) {
        sent.add(
            pool.submit(
                () ->
                    postMultipart(
                        "/jobs",
                        TOKEN,
                        Map.of("seed", "4242"),
                        Map.of(
                            "portrait", ReferenceRender.ASTRONAUT,
                            "audio", ReferenceRender.NARRATION))));
      }
      java.util.Set<String> ids = new java.util.HashSet<>();
      int created = 0;
      for (var f : sent) {
        HttpResponse<byte[]> r = f.get(3, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(r.statusCode()).as(body(r)).isIn(200, 201);
        created += r.statusCode() == 201 ? 1 : 0;
        ids.add(json(r).get("id").asText());
      }
      assertThat(ids).hasSize(1);
      assertThat(created).isEqualTo(1);
      String id = ids.iterator().next();
      // (the job is not needed: cancelled, so the rest of the class does not wait on it)
      send(request("/jobs/" + id + "/cancel", TOKEN).POST(HttpRequest.BodyPublishers.noBody()));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStalledUploadGets408AtTheSubmitTimeoutLeavesNothingAndTheServerStaysHealthy()
      throws Exception {
    // Given the API served again with a 2 s submit timeout
    ApiSettings quick =
        new ApiSettings(
            "127.0.0.1", 0, 0, TOKEN, 2 << 20, 1 << 20, List.of(), Duration.ofSeconds(2));
    int port = FarmHttp.serveApi(farm, quick).getPort();
    // When a client sends the start of a 100 kB multipart upload and then nothing
    long started = System.nanoTime();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      String head =
          "POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + TOKEN
              + "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000"
              + "\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"audio\";"
              + " filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(new byte[1000]);
      socket.getOutputStream().flush();
      // Then at the timeout it gets 408, or (Pekko aborts a connection whose request it did not
      // read to its end) a reset: either way the upload is cut
      String status;
      try {
        status =
            new java.io.BufferedReader(
                    new java.io.InputStreamReader(
                        socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
      } catch (java.net.SocketException e) {
        status = "reset: " + e.getMessage();
      }
      assertThat(status).matches("HTTP/1.1 408.*|reset: .*");
    }
    assertThat((System.nanoTime() - started) / 1e9).isBetween(1.5, 20.0);
    // and the partial upload is gone, and the server answers
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!Files.list(dir.resolve("farm/uploads")).toList().isEmpty()
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(Files.list(dir.resolve("farm/uploads")).toList()).as("uploads cleaned up").isEmpty();
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/healthz")).GET()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void uploadsOverTheLimitsAreRefused() throws Exception {
    Path big = dir.resolve("big.png");
    Files.write(big, new byte[(int) (1.5 * (1 << 20))]);
    assertError(
        postMultipart(
            "/jobs", TOKEN, Map.of(), Map.of("portrait", big, "audio", ReferenceRender.NARRATION)),
        413,
        "portrait is larger");
    Path huge = dir.resolve("huge.wav");
    Files.write(huge, new byte[3 << 20]);
    assertError(
        postMultipart(
            "/jobs", TOKEN, Map.of(), Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", huge)),
        413,
        "larger than its limit of 2097152 bytes");
    // A JSON body only names files: 64 KiB is its limit.
    assertError(
        postJson("{\"portrait\":\"" + "x".repeat(100_000) + "\"}"), 413, "limit of 65536 bytes");
    assertThat(Files.list(dir.resolve("farm/uploads")).toList()).as("uploads cleaned up").isEmpty();
  }

  @Test
  void jobRoutesNeedTheBearerToken() throws Exception {
    HttpResponse<byte[]> none = get("/jobs", null);
    assertError(none, 401, "bearer token");
    assertThat(none.headers().firstValue("WWW-Authenticate"))
        .contains("Bearer realm=\"actorfarm\"");
    assertError(get("/jobs", "wrong"), 401, "not valid");
    assertError(get("/jobs/x/output?access_token=wrong", null), 401, "not valid");
    assertThat(get("/jobs?access_token=" + TOKEN, null).statusCode()).isEqualTo(200);
    assertError(
        postMultipart(
            "/jobs",
            null,
            Map.of(),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", ReferenceRender.NARRATION)),
        401,
        "bearer token");
    Cli cli = cli("status", "--server", base, "--token", "wrong");
    assertThat(cli.code).isEqualTo(2);
    assertThat(cli.err).contains("farm: error: the bearer token is not valid");
    // Health, readiness, metrics and the page itself are open (probes and scrapers carry no token).
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", null).statusCode()).isEqualTo(200);
    HttpResponse<byte[]> page = get("/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(body(page)).contains("<title>ActorFarm</title>");
    assertThat(get("/ui/hls.min.js", null).statusCode()).isEqualTo(200);
  }

  @Test
  void metricsHaveThePromisedNamesTypesAndLabels() throws Exception {
    // A completed job first (the same client token as the other test: whichever runs first
    // renders it, the other finds it).
    HttpResponse<byte[]> submitted =
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of("client_token", "reference-1"),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "audio", ReferenceRender.NARRATION));
    String id = json(submitted).get("id").asText();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (!json(get("/jobs/" + id, TOKEN)).get("state").asText().equals("COMPLETED")) {
      assertThat(System.nanoTime()).as("job completes within 3 minutes").isLessThan(deadline);
      Thread.sleep(200);
    }
    HttpResponse<byte[]> r = get("/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    String text = body(r);
    Map<String, String> types = new HashMap<>();
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        types.put(p[2], p[3]);
      } else if (!line.startsWith("#") && !line.isBlank()) {
        int space = line.lastIndexOf(' ');
        samples.merge(
            line.substring(0, space), Double.parseDouble(line.substring(space + 1)), Double::sum);
        // No job ids as labels: their cardinality is unbounded.
        assertThat(line).doesNotContain("job_id=").doesNotContain(id);
      }
    }
    Map<String, String> promised = new LinkedHashMap<>();
    promised.put("actorfarm_stage_items_in_total", "counter");
    promised.put("actorfarm_stage_items_out_total", "counter");
    promised.put("actorfarm_stage_items_in_progress", "gauge");
    promised.put("actorfarm_inference_duration_seconds", "histogram");
    promised.put("actorfarm_encode_duration_seconds", "histogram");
    promised.put("actorfarm_window_end_to_end_duration_seconds", "histogram");
    promised.put("actorfarm_frames_rendered_total", "counter");
    promised.put("actorfarm_audio_processed_seconds_total", "counter");
    promised.put("actorfarm_retries_total", "counter");
    promised.put("actorfarm_dead_letters_total", "counter");
    promised.put("actorfarm_consumer_lag_records", "gauge");
    promised.put("actorfarm_jobs", "gauge");
    promised.put("actorfarm_render_backlog_windows", "gauge");
    promised.put("actorfarm_waiting_windows", "gauge");
    promised.put("actorfarm_in_render_windows", "gauge");
    promised.put("actorfarm_render_slots", "gauge");
    promised.put("jvm_memory_used_bytes", "gauge");
    promised.put("jvm_threads_current", "gauge");
    promised.put("process_cpu_seconds_total", "counter");
    assertThat(types).containsAllEntriesOf(promised);
    for (String stage : List.of("audio", "motion", "render", "mux")) {
      assertThat(samples.get("actorfarm_stage_items_in_total{stage=\"" + stage + "\"}"))
          .as(stage + " items in")
          .isPositive();
      assertThat(samples.get("actorfarm_stage_items_out_total{stage=\"" + stage + "\"}"))
          .as(stage + " items out")
          .isPositive();
      assertThat(samples)
          .containsKey(
              "actorfarm_retries_total{reason=\"infrastructure\",stage=\"" + stage + "\"}");
      assertThat(samples)
          .containsKey("actorfarm_dead_letters_total{reason=\"failed\",stage=\"" + stage + "\"}");
    }
    assertThat(samples.get("actorfarm_frames_rendered_total")).isGreaterThanOrEqualTo(528);
    assertThat(samples.get("actorfarm_audio_processed_seconds_total")).isGreaterThanOrEqualTo(21.1);
    for (String model : List.of("audio_encoder", "motion_generator", "renderer")) {
      assertThat(samples.get("actorfarm_inference_duration_seconds_count{model=\"" + model + "\"}"))
          .as(model + " inferences")
          .isPositive();
    }
    assertThat(samples.get("actorfarm_encode_duration_seconds_count")).isGreaterThanOrEqualTo(11);
    assertThat(samples.get("actorfarm_window_end_to_end_duration_seconds_count"))
        .isGreaterThanOrEqualTo(11);
    assertThat(samples.keySet())
        .anyMatch(
            k -> k.startsWith("actorfarm_window_end_to_end_duration_seconds_bucket{le=\"+Inf\""));
    assertThat(samples)
        .containsKey(
            "actorfarm_consumer_lag_records{group=\"farm-render\",topic=\"farm.motion-windows\"}");
    assertThat(samples.get("actorfarm_jobs{state=\"COMPLETED\"}")).isGreaterThanOrEqualTo(1);
    for (String c : List.of("low", "normal", "high")) {
      assertThat(samples).containsKey("actorfarm_waiting_windows{priority_class=\"" + c + "\"}");
    }
    for (String state : List.of("running", "paused")) {
      assertThat(samples).containsKey("actorfarm_in_render_windows{job_state=\"" + state + "\"}");
    }
    assertThat(samples.get("actorfarm_render_slots")).isGreaterThanOrEqualTo(1);
  }

  // ---- helpers ----

  record Cli(int code, String out, String err) {}

  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine c = new CommandLine(new Farm());
    c.setOut(new PrintWriter(out, true));
    c.setErr(new PrintWriter(err, true));
    int code = c.execute(args);
    return new Cli(code, out.toString(), err.toString());
  }

  static HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  static HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<byte[]> get(String path, String token) throws Exception {
    return send(request(path, token).GET());
  }

  static HttpRequest.BodyPublisher noBody() {
    return HttpRequest.BodyPublishers.noBody();
  }

  @Test
  void aDrivingVideoThroughTheFormAndJsonWithItsOwnFrameRateAndSound() throws Exception {
    Path driving = ReferenceRender.output();
    // A form with the portrait and a driving video, at 24 fps
    HttpResponse<byte[]> created =
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of("fps", "24"),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "driving", driving));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    String id = json(created).get("id").asText();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    JsonNode job = json(get("/jobs/" + id, TOKEN));
    while (!job.get("state").asText().equals("COMPLETED") && System.nanoTime() < deadline) {
      assertThat(job.get("state").asText()).isNotIn("FAILED", "CANCELLED");
      Thread.sleep(200);
      job = json(get("/jobs/" + id, TOKEN));
    }
    // Its frames are the driving video's duration at 24 fps, its sound the driving video's
    int frames = (int) Math.round(528 / 25.0 * 24);
    assertThat(job.get("total_frames").asInt()).isEqualTo(frames);
    HttpResponse<byte[]> output = get("/jobs/" + id + "/output", TOKEN);
    Path file = Files.write(dir.resolve("driven.mp4"), output.body());
    DecodedVideo video = DecodedVideo.decode(file);
    assertThat(video.frames()).hasSize(frames);
    assertThat(video.audioCodec()).isEqualTo("aac");
    // and the preview's segments last their frames at 24 fps
    String playlist = body(get("/jobs/" + id + "/preview/index.m3u8", TOKEN));
    assertThat(playlist).contains("#EXTINF:2.083,").contains("#EXT-X-ENDLIST");

    // JSON naming a driving video under the allowed roots; outside them, refused
    Files.copy(driving, allowed.resolve("take.mp4"), StandardCopyOption.REPLACE_EXISTING);
    HttpResponse<byte[]> json =
        postJson(
            "{\"portrait\":\""
                + allowed.resolve("astronaut.png")
                + "\",\"driving\":\""
                + allowed.resolve("take.mp4")
                + "\",\"seed\":11}");
    assertThat(json.statusCode()).as(body(json)).isEqualTo(201);
    send(request("/jobs/" + json(json).get("id").asText() + "/cancel", TOKEN).POST(noBody()));
    assertError(
        postJson(
            "{\"portrait\":\""
                + allowed.resolve("astronaut.png")
                + "\",\"driving\":\""
                + driving.toAbsolutePath()
                + "\"}"),
        403,
        "driving");
    // farm submit --driving through the API, at 30 fps, followed and downloaded
    Path cliOut = dir.resolve("cli/driven.mp4");
    Cli submit =
        cli(
            "submit",
            "--server",
            base,
            "--token",
            TOKEN,
            "--portrait",
            ReferenceRender.ASTRONAUT.toString(),
            "--driving",
            driving.toString(),
            "--fps",
            "30",
            "--out",
            cliOut.toString());
    assertThat(submit.code).as(submit.err).isZero();
    assertThat(DecodedVideo.decode(cliOut).frames()).hasSize((int) Math.round(528 / 25.0 * 30));
    // A form with neither a narration nor a driving video; a driving file that is no video
    assertError(
        postMultipart("/jobs", TOKEN, Map.of(), Map.of("portrait", ReferenceRender.ASTRONAUT)),
        400,
        "'audio' or 'driving'");
    assertError(
        postMultipart(
            "/jobs",
            TOKEN,
            Map.of(),
            Map.of("portrait", ReferenceRender.ASTRONAUT, "driving", ReferenceRender.NARRATION)),
        422,
        "the uploaded driving video has no video stream");
  }

  static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  static HttpResponse<byte[]> postJson(String body) throws Exception {
    return send(
        request("/jobs", TOKEN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** A multipart/form-data POST, written out by hand: the test checks the server, not a client. */
  static HttpResponse<byte[]> postMultipart(
      String path, String token, Map<String, String> fields, Map<String, Path> files)
      throws Exception {
    String boundary = "----actorfarm" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    Map<String, Object> parts = new LinkedHashMap<>(fields);
    parts.putAll(files);
    for (var e : parts.entrySet()) {
      body.write(("--" + boundary + "\r\n").getBytes(StandardCharsets.UTF_8));
      if (e.getValue() instanceof Path p) {
        body.write(
            ("Content-Disposition: form-data; name=\""
                    + e.getKey()
                    + "\"; filename=\""
                    + p.getFileName()
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(p));
      } else {
        body.write(
            ("Content-Disposition: form-data; name=\"" + e.getKey() + "\"\r\n\r\n" + e.getValue())
                .getBytes(StandardCharsets.UTF_8));
      }
      body.write("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return send(
        request(path, token)
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  static JsonNode json(HttpResponse<byte[]> r) throws Exception {
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    return JSON.readTree(r.body());
  }

  /** A refusal: the status, a JSON body with the error, and no stack trace. */
  static void assertError(HttpResponse<byte[]> r, int status, String messagePart) throws Exception {
    assertThat(r.statusCode()).as(r.uri() + ": " + body(r)).isEqualTo(status);
    JsonNode error = json(r);
    assertThat(error.get("status").asInt()).isEqualTo(status);
    assertThat(error.get("error").asText()).contains(messagePart);
    assertThat(body(r)).doesNotContain("Exception").doesNotContain("\tat ");
  }

  static List<String> lines(String s) {
    return new ArrayList<>(s.lines().toList());
  }
}
