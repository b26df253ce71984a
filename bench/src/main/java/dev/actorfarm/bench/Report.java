package dev.actorfarm.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The benchmark's tables, as Markdown with the machine, date and command beside each. */
final class Report {

  private final String machine;
  private final String date;
  private final String command;
  private final java.util.Map<String, StringBuilder> sections = new java.util.LinkedHashMap<>();
  private StringBuilder md = new StringBuilder();

  Report(String machine, String date, String command) {
    this.machine = machine;
    this.date = date;
    this.command = command;
  }

  private void header(String key, String title) {
    md = new StringBuilder();
    sections.put(key, md);
    md.append("\n### ").append(title).append("\n\n");
    md.append("Machine: ").append(machine).append(". Date: ").append(date).append(".\n");
    md.append("Command: `").append(command).append("`\n\n");
  }

  private void line(String format, Object... args) {
    md.append(String.format(Locale.ROOT, format, args)).append('\n');
  }

  void stages(StageCosts costs) {
    header("stages", "Stage costs in isolation");
    line(
        "Each stage alone on the example's inputs, one ORT thread per session, best of a few runs.");
    line("");
    line("| stage | setting | cost |");
    line("|---|---|---|");
    for (StageCosts.Cost c : costs.costs()) {
      line("| %s | %s | %.3f ms per %s |", c.stage(), c.setting(), c.millis(), c.unit());
    }
  }

  void naive(double seconds, ChildRun naive, FarmRun farm) {
    header("naive", "Against the naive single-loop pipeline");
    line(
        "Same input (the example portrait, 512×512, and %.0f s of the example narration looped),"
            + " same pack and classes, each in its own JVM (the farm with `./farm`'s options,"
            + " `-Xmx2g -XX:TieredStopAtLevel=1`; the naive pipeline with `-Xmx4g`, as it holds"
            + " every frame). The naive pipeline is"
            + " what the model repositories' inference scripts do (LivePortrait, JoyVASA, Hallo):"
            + " decode all audio, compute all features, generate all motion, render every frame"
            + " into a list, then encode it and add the sound track (`NaivePipeline`). Peak RSS"
            + " is the kernel's VmHWM of the process.",
        seconds);
    line("");
    line("| pipeline | process wall | peak RSS |");
    line("|---|---|---|");
    line("| naive single loop | %.1f s | %.0f MiB |", naive.wallSeconds(), naive.peakRssMib());
    line(
        "| farm (`farm render`, embedded) | %.1f s (%.1f s from submission) | %.0f MiB |",
        farm.process().wallSeconds(), farm.farmWall(), farm.process().peakRssMib());
    line("");
    line(
        "Naive ÷ farm: wall time **%.2f×**, peak memory **%.2f×**.",
        naive.wallSeconds() / farm.process().wallSeconds(),
        naive.peakRssMib() / farm.process().peakRssMib());
  }

  void efficiency(StageCosts c, FarmRun farm, int cores) {
    header("efficiency", "Efficiency against the bound the stage costs imply");
    int fps = 25;
    int w = 50;
    double frames = Math.round(farm.videoSeconds() * fps);
    double windows = Math.ceil(frames / w);
    String parallel = cores + (cores == 1 ? " worker" : " workers in parallel");
    double perFrame = c.get("render worker, whole frame", parallel);
    double motion = c.get("motion generation", w + "-frame window");
    double audio = c.get("audio decode + encode", "16 kHz, log-mel");
    double mux = c.get("mux", "stream copy + AAC");
    double rest = (farm.videoSeconds() * audio + windows * motion + windows * mux) / cores;
    double bound = (frames * perFrame + rest) / 1000;
    line(
        "The bound is what this machine can do with the farm's own stage code and nothing else:"
            + " %.0f frames × %.2f ms (a render worker's whole per-frame work — render at batch 4,"
            + " paste-back, encode — measured machine-wide with %d workers running at once) +"
            + " (%.0f s × %.2f ms audio + %.0f windows × %.2f ms motion + %.0f segments × %.2f"
            + " ms mux) ÷ %d cores = **%.1f s**. The farm's wall time runs from the submission"
            + " to the finished file (the CLI's own report), at 512×512 (the example portrait),"
            + " %.0f s of narration.",
        frames,
        perFrame,
        cores,
        farm.videoSeconds(),
        audio,
        windows,
        motion,
        windows,
        mux,
        cores,
        bound,
        farm.videoSeconds());
    line("");
    line("| measure | value |");
    line("|---|---|");
    line("| farm wall, submission to output | %.1f s |", farm.farmWall());
    line("| lower bound | %.1f s |", bound);
    line("| efficiency (bound ÷ farm wall) | **%.2f** (target ≥ 0.85) |", bound / farm.farmWall());
    line("| process wall (JVM, broker, roles start) | %.1f s |", farm.process().wallSeconds());
  }

  void scheduling(SchedulingBench.Result r) {
    header("scheduling", "Many jobs at once (simulated GPU workers)");
    line(
        "**Simulation**: %d ms per frame per worker and placeholder segments"
            + " (`actorfarm.render.simulate-only`); Kafka, the audio role, the motion entities, the"
            + " render scheduler, the render consumer and the muxer are the real farm, in one"
            + " embedded node. Wall = submission to output (the job's COMPLETED event).",
        r.latencyMs());
    line("");
    line("| %d workers | wall | against alone | target |", r.workers());
    line("|---|---|---|---|");
    line("| 20 s job alone | %.1f s | 1.00× | |", r.alone());
    line(
        "| 20 s job behind a running 10-minute job, both priority 50 | %.1f s | %.2f× | ≤ 2× |",
        r.behindSame(), r.behindSame() / r.alone());
    line(
        "| 20 s job at priority 90 behind the 10-minute job at 50 | %.1f s | %.2f× | ≤ 1.3× |",
        r.behindHigh(), r.behindHigh() / r.alone());
    line("");
    line(
        "8 concurrent jobs on %d workers; shares of render time while all 8 had work (target:"
            + " each within 10%% of its weight's share):",
        r.mixWorkers());
    line("");
    line("| job | narration | priority | weight's share | measured share | off by |");
    line("|---|---|---|---|---|---|");
    for (SchedulingBench.Share s : r.shares()) {
      line(
          "| %s | %.0f s | %d | %.1f%% | %.1f%% | %+.0f%% |",
          s.job(),
          s.seconds(),
          s.priority(),
          100 * s.expected(),
          100 * s.measured(),
          100 * (s.measured() / s.expected() - 1));
    }
    line("");
    line(
        "Throughput while all 8 ran: %.0f frames/s, %.0f%% of %d workers' linear %.0f frames/s"
            + " (target ≥ 90%%).",
        r.mixThroughput(),
        100 * r.mixThroughput() / r.linearThroughput(),
        r.mixWorkers(),
        r.linearThroughput());
    line("");
    line(
        "One 10-minute job alone on the same %d workers (first segment to last): %.0f frames/s; the"
            + " 8 jobs together: %.0f%% of that (target: within 5%%).",
        r.mixWorkers(), r.singleThroughput(), 100 * r.mixThroughput() / r.singleThroughput());
  }

  void workers(List<Integer> workers, int latencyMs, List<FarmRun> runs) {
    header("workers", "Render workers (simulated GPU workers)");
    line(
        "**Simulation**: the render stage is replaced by a fixed %d ms per frame (a GPU worker of"
            + " known speed) and a 16×16 placeholder segment (`actorfarm.render.simulate-only`);"
            + " Kafka, the audio role, the motion entity, the render consumer and the muxer are the"
            + " real farm, on one node with N workers. 20 windows per worker (50 frames each)."
            + " Throughput = frames ÷ farm wall (submission to output).",
        latencyMs);
    line("");
    line("| workers | frames | farm wall | throughput | ideal | of linear |");
    line("|---|---|---|---|---|---|");
    double one = 0;
    for (int i = 0; i < runs.size(); i++) {
      FarmRun r = runs.get(i);
      int n = workers.get(i);
      double frames = Math.round(r.videoSeconds() * 25);
      double thr = frames / r.farmWall();
      if (i == 0) {
        one = thr / n;
      }
      double ideal = 1000.0 / latencyMs * n;
      line(
          "| %d | %.0f | %.1f s | %.0f fps | %.0f fps | %.0f%% |",
          n, frames, r.farmWall(), thr, ideal, 100 * thr / (one * n));
    }
    line("");
    line(
        "\"Of linear\" is throughput ÷ (N × the single worker's throughput); target ≥ 90%% at 16."
            + " \"Ideal\" is N × %d fps, what the simulated workers alone would give.",
        1000 / latencyMs);
  }

  void restart(RestartBench.Result r) {
    header("restart", "Restart after a SIGKILL");
    line(
        "`farm render` of a %.0f s narration (%d windows) run three ways per trial: uninterrupted,"
            + " timed at its segment %d and at its end; SIGKILLed at its segment %d; and the same"
            + " command again, which resumes. Overhead = the rerun's wall − what the uninterrupted"
            + " run still had to do after its segment %d: the rerun's start plus the work the kill"
            + " lost (the windows in flight). Broker, node and first segment: seconds from the"
            + " rerun's process start. Target: overhead ≤ 5 s beyond the lost window; a window"
            + " is the median render of one in the uninterrupted run (the windows in flight at"
            + " the kill are rendered again, in parallel). Medians of the trials; every rerun's"
            + " frames compared with the uninterrupted run's.",
        r.seconds(), r.windows(), r.killAt(), r.killAt(), r.killAt());
    line("");
    line(
        "| JVM | trials | uninterrupted | rest after segment %d | rerun | overhead (each)"
            + " | a window | **overhead beyond it** | broker up | node up | first segment | frames |",
        r.killAt());
    line("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (RestartBench.Series s : r.series()) {
      StringBuilder each = new StringBuilder();
      for (RestartBench.Trial t : s.trials()) {
        each.append(each.length() == 0 ? "" : ", ")
            .append(String.format(Locale.ROOT, "%.1f", t.overhead()));
      }
      line(
          "| %s | %d | %.1f s | %.1f s | %.1f s | %.1f s (%s) | %.1f s | **%.1f s** | %.1f s |"
              + " %.1f s | %.1f s | %s |",
          s.name(),
          s.trials().size(),
          s.median(RestartBench.Trial::uninterrupted),
          s.median(RestartBench.Trial::remaining),
          s.median(RestartBench.Trial::rerun),
          s.median(RestartBench.Trial::overhead),
          each,
          s.median(RestartBench.Trial::window),
          s.median(RestartBench.Trial::beyondWindow),
          s.median(RestartBench.Trial::broker),
          s.median(RestartBench.Trial::nodeUp),
          s.median(RestartBench.Trial::firstSegment),
          s.trials().stream().allMatch(RestartBench.Trial::identical) ? "identical" : "**differ**");
    }
  }

  void apiLoad(ApiLoadBench.Result r) {
    header("api-load", "Concurrent API clients");
    line(
        "`farm serve` (every role and the API in one process) rendering a job while %d clients"
            + " poll it for %.0f s, each one request at a time over the routes a dashboard polls"
            + " (`GET /jobs`, `GET /jobs/{id}`, `/healthz`, `/metrics`). An error is any status"
            + " but 200, or no answer within 30 s.",
        r.clients(), r.seconds());
    line("");
    line("| clients | requests | per second | errors | p50 | p99 | max |");
    line("|---|---|---|---|---|---|---|");
    line(
        "| %d | %d | %.0f | %s | %.1f ms | **%.1f ms** | %.1f ms |",
        r.clients(),
        r.requests(),
        r.requests() / r.seconds(),
        r.errors() == 0 ? "0" : "**" + r.errors() + "** (first: " + r.firstError() + ")",
        r.p50Ms(),
        r.p99Ms(),
        r.maxMs());
  }

  void chaos(ChaosBench.Result r) {
    header("chaos", "Chaos soak");
    line(
        "A distributed farm of separate processes on this machine: a 3-node KRaft cluster"
            + " (`farm broker --voters`: three replicas, min.insync.replicas 2, acks=all,"
            + " idempotent producers), three motion/mux nodes, three render nodes of one worker"
            + " and an API node (`farm serve --roles none`). One long job and short jobs of other"
            + " priorities (256² portrait) under a fault schedule of seed %d: SIGKILL or SIGTERM"
            + " (restarted 2-6 s later) or SIGSTOP then SIGCONT 2-6 s later (a hang), on any"
            + " process, a broker only while all three are up, a node only while another of its"
            + " kind is. Back in service: from the restart to the process's start-up line (0 for a"
            + " hang, which resumes where it stopped). Next window: from then to the farm's next"
            + " rendered window (0 when the other nodes kept rendering)."
            + " Network faults: %s. Audit: %s.",
        r.seed(), r.network(), r.passed() ? "**passed**" : "**failed**");
    line("");
    line("| job | priority | narration | state | frames against the uninterrupted run |");
    line("|---|---|---|---|---|");
    for (ChaosBench.JobOutcome j : r.jobs()) {
      line(
          "| %s (%s) | %d | %.0f s | %s | %s |",
          j.name(),
          j.jobId(),
          j.priority(),
          j.seconds(),
          j.state(),
          j.identical() ? "identical" : "**differ**");
    }
    line("");
    java.util.Map<String, java.util.List<ChaosBench.Fault>> byKind = new java.util.TreeMap<>();
    for (ChaosBench.Fault f : r.faults()) {
      byKind.computeIfAbsent(f.kind(), k -> new java.util.ArrayList<>()).add(f);
    }
    byKind.put("all", r.faults());
    line(
        "| fault | survived | back in service p50 / p95 | next rendered window after it, p50 /"
            + " p95 |");
    line("|---|---|---|---|");
    for (var e : byKind.entrySet()) {
      var back = e.getValue().stream().map(ChaosBench.Fault::back).toList();
      var next = e.getValue().stream().map(ChaosBench.Fault::recovery).toList();
      String survived = String.valueOf(e.getValue().size());
      if (e.getKey().equals("all")) {
        survived +=
            String.format(
                java.util.Locale.ROOT,
                " (%d on brokers, %d on the active controller)",
                r.faults().stream().filter(f -> f.target().startsWith("b")).count(),
                r.faults().stream().filter(f -> f.target().contains("controller")).count());
      }
      line(
          "| %s | %s | %.1f s / %.1f s | %.1f s / %.1f s |",
          e.getKey(),
          survived,
          percentile(back, 50),
          percentile(back, 95),
          percentile(next, 50),
          percentile(next, 95));
    }
    line("");
    line(
        "Windows rendered: %d, of which rendered more than once: %d. Dead letters: %d. Consumer"
            + " lag at the end: %d. Temporary blobs left: %d. API /healthz at the end: %s. Chunks"
            + " of Kafka traffic the DELAY faults held back: %d. Wall: %.0f s.",
        r.windows(),
        r.renderedTwice(),
        r.deadLetters(),
        r.lag(),
        r.tempBlobs(),
        r.apiHealthy() ? "200" : "**not 200**",
        r.heldBack(),
        r.wall());
    line("");
    line(
        "Schedule: %s.",
        r.faults().stream()
            .map(
                f ->
                    String.format(
                        java.util.Locale.ROOT, "%.0f s %s %s", f.at(), f.kind(), f.target()))
            .collect(java.util.stream.Collectors.joining("; ")));
  }

  /** The nearest-rank {@code p}th percentile of {@code values}, NaN for none. */
  static double percentile(java.util.List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1)];
  }

  void driving(DrivingBench d) {
    header("driving", "Driving video");
    line(
        "A driving video whose motion is known: the farm's own render of the example (the"
            + " astronaut, the example narration, 25 fps), its motion windows kept, scaled to"
            + " 720×720 in the middle of a 1280×720 frame and looped %d times (%.1f min), with"
            + " the narration looped as its sound. `farm render --driving` drives another portrait"
            + " (hopper.jpg, glasses and a cap) with it; the extracted motion (the driven job's"
            + " motion windows) is compared with the known motion, loop by loop.",
        d.loops(), d.videoSeconds() / 60);
    line("");
    line("| what | figure |");
    line("|---|---|");
    line(
        "| analysis alone (decode, detection, landmarks, measures), 720p, one thread | %.0f fps"
            + " (%d frames) |",
        d.analysisFps(), d.analysisFrames());
    line(
        "| the farm on the %.1f min video: wall from submission to the output | %.1f s |",
        d.videoSeconds() / 60, d.run().farmWall());
    line(
        "| realtime factor (video seconds per wall second) | %.2f |",
        d.videoSeconds() / d.run().farmWall());
    line("| first segment after | %.1f s |", d.run().firstSegment());
    line(
        "| process wall, peak RSS | %.1f s, %.0f MiB |",
        d.run().process().wallSeconds(), d.run().process().peakRssMib());
    line("| jaw: correlation of extracted with known | %.3f (target ≥ 0.8) |", d.jaw());
    line(
        "| yaw | %.3f (target ≥ 0.8; the pack's 1.5° turns move the nose 2 px in this 720p"
            + " frame) |",
        d.yaw());
    line("| roll | %.3f (target ≥ 0.8) |", d.roll());
    line(
        "| pitch | %.3f (no target: the pack's nods are 1°, a shift of 0.02 eye distances) |",
        d.pitch());
    line(
        "| blinks found within ±2 frames | %d of %d, %.0f%% (target ≥ 90%%) |",
        d.blinksFound(), d.blinks(), 100.0 * d.blinksFound() / Math.max(1, d.blinks()));
    line("");
    line(
        "The reference pack renders yaw and pitch as shifts of the inner face inside an outline"
            + " that stays put, which is what the extractor reads (the inner face against the"
            + " outline beside the ears); a real head shows both that and its turn. The head"
            + " motion here is the pack's own (yaw 1.5°, roll 0.8°, pitch 1° standard deviation);"
            + " `DrivingVideoTest`'s closed loop drives three times as much. The loops' joins are"
            + " jumps of the known motion that the extractor smooths over a few frames.");
  }

  void lengths(List<Double> minutes, int side, List<FarmRun> runs) {
    header("length", "Job length");
    line(
        "`farm render` of the example portrait scaled to %d×%d with the example narration (21 s"
            + " of synthesised speech with pauses) looped to each length; fresh data directory"
            + " each, `./farm`'s JVM options (`-Xmx2g -XX:TieredStopAtLevel=1`).",
        side, side);
    line("");
    line(
        "| narration | frames | process wall | farm wall | farm wall per audio minute |"
            + " peak RSS | first segment |");
    line("|---|---|---|---|---|---|---|");
    double minPer = Double.MAX_VALUE;
    double maxPer = 0;
    for (int i = 0; i < runs.size(); i++) {
      FarmRun r = runs.get(i);
      double per = r.farmWall() / (r.videoSeconds() / 60);
      minPer = Math.min(minPer, per);
      maxPer = Math.max(maxPer, per);
      line(
          "| %s min | %.0f | %.1f s | %.1f s | %.1f s | %.0f MiB | %.1f s |",
          Bench.trim(minutes.get(i)),
          r.videoSeconds() * 25,
          r.process().wallSeconds(),
          r.farmWall(),
          per,
          r.process().peakRssMib(),
          r.firstSegment());
    }
    if (runs.size() > 1) {
      FarmRun first = runs.get(0);
      FarmRun last = runs.get(runs.size() - 1);
      line("");
      line(
          "Spread of the wall time per audio minute: %.1f%% (target within 10%%). Peak RSS of"
              + " the longest job ÷ the shortest: %.2f× (target ≤ 1.2×). Slowest first segment:"
              + " %.1f s (target < 10 s).",
          (maxPer / minPer - 1) * 100,
          last.process().peakRssMib() / first.process().peakRssMib(),
          runs.stream().mapToDouble(FarmRun::firstSegment).max().orElse(0));
    }
  }

  String markdown() {
    StringBuilder all = new StringBuilder();
    sections.values().forEach(all::append);
    return all.toString();
  }

  /**
   * Writes each section run into {@code file}, replacing that section's earlier figures (between
   * its markers) and keeping the others', or appending it.
   */
  void fidelity(List<Fidelity> results, double seconds, Path sheets) {
    header("fidelity", "Fidelity on portraits of many kinds");
    line(
        "Each portrait of `examples/portraits/annotations.json` (faces and mouths annotated by"
            + " hand, never by the farm's detector) rendered by `farm render` speaking %.1f s of"
            + " silence and then %.0f s of the example narration, and measured on the decoded"
            + " output (`Fidelity`): lip/envelope correlation and speech/silence mouth change in"
            + " the annotated mouth box; upper-face sway, the shift that best aligns brow-to-nose (eyes and brows masked: they blink and emote)"
            + " with the portrait, in face widths (p95); double image, the RMS grey residual that"
            + " no motion (dense optical flow) of the ring around the face explains (p95, and at"
            + " frame 0); frame 0 against the portrait over the crop's footprint; the frame"
            + " border's largest change. Differences are taken against the portrait as the"
            + " farm's encoder returns it standing still, so that encoder noise (the figure in"
            + " brackets beside the rest difference: the encoded still against the portrait) is"
            + " not counted. Grey levels 0-255. Targets: r ≥ 0.6, ratio ≥ 2,"
            + " sway ≤ 0.06, rest ≤ 2, border ≤ 2. Contact sheets: `%s/<portrait>.png`.",
        FidelityRun.LEAD_SECONDS, seconds, sheets);
    line("");
    line(
        "| portrait | kind | lip/envelope r | speech/silence | sway p95 | double image p95 (rest)"
            + " | rest diff (encoder) | border | targets |");
    line("|---|---|---|---|---|---|---|---|---|");
    for (Fidelity f : results) {
      line(
          "| %s | %s | %.2f | %.1f× | %.3f | %.2f (%.2f) | %.2f (%.2f) | %.2f | %s |",
          f.name(),
          f.kind(),
          f.lipCorrelation(),
          f.speechSilence(),
          f.swayP95(),
          f.doubleImageP95(),
          f.doubleImageRest(),
          f.restDiff(),
          f.encoderNoise(),
          f.borderDiff(),
          f.meetsTargets() ? "met" : "**missed**");
    }
  }

  void direction(List<DirectionBench.Result> results, Path sheets) {
    header("direction", "Direction: emotions on portraits of many kinds");
    line(
        "Each portrait of `examples/portraits/annotations.json` with hand-marked eyes rendered by"
            + " `farm render --emotion %s` speaking %.1f s of silence and then %.0f s of the"
            + " example narration, and measured on the decoded frames at the hand annotations"
            + " (`Expressiveness`), in the face's own frame (up across the marked eye line): the"
            + " mouth corners' and the brows' lift against the portrait less the nose tip's, in"
            + " pixels, as medians over each steady stretch (0.9 s after its cue to the next);"
            + " differences are against the mean of the two neutral stretches, with the"
            + " neutral-to-neutral difference beside them. Transitions: the largest"
            + " frame-to-frame change (mean absolute grey difference over the face box) during"
            + " the eases, against the largest in the steady stretches. Lip sync: r of the mouth"
            + " box's change and the speech envelope over the neutral and the emotional stretches."
            + " Targets (DirectionTest): happy corners up and sad corners down and surprised brows"
            + " up, each by over 1 px and over 4× the neutral-to-neutral difference; no"
            + " transition above the steady maximum; emotional lip r ≥ 0.6. Contact sheets:"
            + " `%s/<portrait>.png`.",
        TIMELINE_TEXT, FidelityRun.LEAD_SECONDS, DirectionBench.SECONDS, sheets);
    line("");
    line(
        "| portrait | kind | happy corners | sad corners | (neutral Δ) | surprised brows | (neutral"
            + " Δ) | sad inner brows | transition max / steady max | lip r neutral / emotional |"
            + " targets |");
    line("|---|---|---|---|---|---|---|---|---|---|---|");
    for (DirectionBench.Result r : results) {
      line(
          "| %s | %s | %+.1f px | %+.1f px | %.1f | %+.1f px | %.1f | %+.1f px | %.2f / %.2f |"
              + " %.2f / %.2f | %s |",
          r.portrait().name(),
          r.portrait().kind(),
          r.happyCorners(),
          r.sadCorners(),
          r.cornerNoise(),
          r.surprisedBrows(),
          r.browNoise(),
          r.get(3).innerBrowLift() - (r.get(0).innerBrowLift() + r.get(2).innerBrowLift()) / 2,
          r.transitionMax(),
          r.steadyMax(),
          r.neutralLips(),
          r.emotionalLips(),
          r.meetsTargets() ? "met" : "**missed**");
    }
  }

  private static final String TIMELINE_TEXT = DirectionBench.TIMELINE;

  void writeInto(Path file) throws java.io.IOException {
    String text = Bench.read(file);
    for (var e : sections.entrySet()) {
      String begin = "<!-- bench:" + e.getKey() + " (written by ./farm bench) -->";
      String end = "<!-- /bench:" + e.getKey() + " -->";
      String block = begin + "\n" + e.getValue() + "\n" + end;
      int b = text.indexOf(begin);
      int x = text.indexOf(end);
      if (b >= 0 && x > b) {
        text = text.substring(0, b) + block + text.substring(x + end.length());
      } else {
        text = text + (text.endsWith("\n") ? "" : "\n") + "\n" + block + "\n";
      }
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
