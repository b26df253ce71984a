package dev.actorfarm.bench;

import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./farm bench}: measures the farm and writes the tables into {@code BENCHMARKS.md}.
 *
 * <ul>
 *   <li>{@code stages}: each stage's cost in isolation;
 *   <li>{@code naive}: the single-loop pipeline of the model repositories against the farm, same
 *       input, same run;
 *   <li>{@code efficiency}: the farm against the bound the stage costs imply on this many cores;
 *   <li>{@code length}: jobs of 1, 10 and 60 minutes of narration;
 *   <li>{@code workers}: throughput with 1..16 simulated GPU render workers;
 *   <li>{@code restart}: what a SIGKILL and a rerun of {@code farm render} cost (RestartBench);
 *   <li>{@code api-load}: 100 concurrent API clients for 60 s against a rendering {@code farm
 *       serve} (ApiLoadBench);
 *   <li>{@code chaos}: the chaos soak, a distributed farm on a 3-broker cluster under a seeded
 *       fault schedule, audited (ChaosBench; not in the default set: it takes an hour at its
 *       default size).
 *   <li>{@code fidelity}: the annotated portraits of {@code examples/portraits}, rendered and
 *       measured (lip sync, sway, double images, rest frame, border) with contact sheets.
 * </ul>
 */
@Command(
    name = "farm bench",
    mixinStandardHelpOptions = true,
    description = "Benchmark the farm; print the tables and write them into BENCHMARKS.md.")
public final class Bench implements Callable<Integer> {

  @Option(
      names = "--sections",
      split = ",",
      defaultValue =
          "stages,naive,efficiency,length,workers,scheduling,fidelity,direction,driving,restart,"
              + "api-load",
      description = "Sections to run (default ${DEFAULT-VALUE}).")
  Set<String> sections;

  @Option(
      names = "--naive-seconds",
      defaultValue = "60",
      description = "Narration length of the naive-vs-farm run (default ${DEFAULT-VALUE}).")
  double naiveSeconds;

  @Option(
      names = "--efficiency-seconds",
      defaultValue = "300",
      description = "Narration length of the efficiency run at 512×512 (default ${DEFAULT-VALUE}).")
  double efficiencySeconds;

  @Option(
      names = "--restart-seconds",
      defaultValue = "60",
      description = "Narration length of the restart runs (default ${DEFAULT-VALUE}).")
  double restartSeconds;

  @Option(
      names = "--restart-trials",
      defaultValue = "3",
      description = "Kill-and-rerun trials per JVM set-up (default ${DEFAULT-VALUE}).")
  int restartTrials;

  @Option(
      names = "--api-clients",
      defaultValue = "100",
      description = "Concurrent clients of the api-load section (default ${DEFAULT-VALUE}).")
  int apiClients;

  @Option(
      names = "--api-seconds",
      defaultValue = "60",
      description = "How long the api-load clients poll (default ${DEFAULT-VALUE}).")
  double apiSeconds;

  @Option(
      names = "--chaos-minutes",
      defaultValue = "30",
      description = "Narration of the chaos run's long job, minutes (default ${DEFAULT-VALUE}).")
  double chaosMinutes;

  @Option(
      names = "--chaos-faults",
      defaultValue = "24",
      description = "Faults injected by the chaos run (default ${DEFAULT-VALUE}).")
  int chaosFaults;

  @Option(
      names = "--chaos-gap",
      defaultValue = "6",
      description = "Mean seconds between two faults of the chaos run (default ${DEFAULT-VALUE}).")
  double chaosGap;

  @Option(
      names = "--chaos-seed",
      defaultValue = "16",
      description = "Seed of the chaos run's fault schedule (default ${DEFAULT-VALUE}).")
  long chaosSeed;

  @Option(
      names = "--workers",
      split = ",",
      defaultValue = "1,2,4,8,16",
      description = "Simulated GPU render workers to scale over (default ${DEFAULT-VALUE}).")
  List<Integer> workers;

  @Option(
      names = "--worker-latency",
      defaultValue = "10",
      description = "Simulated render cost per frame, ms (default ${DEFAULT-VALUE}).")
  int workerLatencyMs;

  @Option(
      names = "--lengths",
      split = ",",
      defaultValue = "1,10,60",
      description = "Job lengths in minutes of narration (default ${DEFAULT-VALUE}).")
  List<Double> lengthsMinutes;

  @Option(
      names = "--length-size",
      defaultValue = "256",
      description = "Portrait side of the job-length runs, pixels (default ${DEFAULT-VALUE}).")
  int lengthSize;

  @Option(
      names = "--fidelity-seconds",
      defaultValue = "21",
      description =
          "Narration of each fidelity render, after the silence (default ${DEFAULT-VALUE}).")
  double fidelitySeconds;

  @Option(
      names = "--driving-minutes",
      defaultValue = "10",
      description =
          "Length of the 720p driving video of the driving section (default ${DEFAULT-VALUE}).")
  double drivingMinutes;

  @Option(
      names = "--portraits",
      defaultValue = "examples/portraits/annotations.json",
      description = "The annotated portraits of the fidelity section (default ${DEFAULT-VALUE}).")
  Path portraits;

  @Option(
      names = "--fidelity-videos",
      description =
          "Measure the <portrait>.mp4 renders in this folder (made by another build, with the"
              + " audio the harness writes to <work>/inputs) instead of rendering.")
  Path fidelityVideos;

  @Option(
      names = "--work",
      defaultValue = "target/bench-work",
      description = "Working directory (inputs, data directories, logs).")
  Path work;

  @Option(
      names = "--write",
      defaultValue = "BENCHMARKS.md",
      description = "File to write the tables into (between bench markers); '-' for none.")
  String write;

  static final Path PORTRAIT = Path.of("examples/astronaut.png");
  static final Path NARRATION = Path.of("examples/narration.ogg");

  public static void main(String[] args) {
    dev.actorfarm.runtime.NativeLibraries.configure();
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(PORTRAIT) || !Files.isRegularFile(NARRATION)) {
      System.err.println("farm bench: run it from the repository root (examples/ not found)");
      return 2;
    }
    work = work.toAbsolutePath();
    Files.createDirectories(work);
    Path packDir = work.resolve("packs/reference");
    ModelPack pack = ReferencePack.ensure(packDir);
    FarmSettings settings = FarmSettings.create(FarmConfig.load());
    Report report = new Report(Machine.describe(), LocalDate.now().toString(), command());
    StageCosts costs = null;
    if (sections.contains("stages")
        || sections.contains("naive")
        || sections.contains("efficiency")) {
      System.out.println("Stage costs:");
      costs = StageCosts.measure(settings, pack, PORTRAIT, NARRATION, work);
      report.stages(costs);
    }
    if (sections.contains("naive")) {
      naive(report, packDir);
    }
    if (sections.contains("efficiency")) {
      Path audio = Inputs.loopedNarration(NARRATION, efficiencySeconds, work.resolve("inputs"));
      System.out.println("Farm, efficiency run (" + trim(efficiencySeconds) + " s) ...");
      FarmRun farm =
          FarmRun.run("efficiency", work.resolve("efficiency"), FARM_JVM, packDir, PORTRAIT, audio);
      report.efficiency(costs, farm, Runtime.getRuntime().availableProcessors());
    }
    if (sections.contains("length")) {
      lengths(report, packDir);
    }
    if (sections.contains("workers")) {
      workers(report, packDir);
    }
    if (sections.contains("scheduling")) {
      System.out.println("Scheduling: jobs sharing simulated workers ...");
      report.scheduling(SchedulingBench.run(work, packDir, workerLatencyMs));
    }
    if (sections.contains("fidelity")) {
      List<Fidelity> results =
          FidelityRun.run(
              FidelityRun.set(portraits),
              NARRATION,
              fidelitySeconds,
              packDir,
              work,
              settings,
              fidelityVideos);
      Path sheets = work.resolve("fidelity/sheets");
      Path here = Path.of("").toAbsolutePath();
      report.fidelity(
          results, fidelitySeconds, sheets.startsWith(here) ? here.relativize(sheets) : sheets);
    }
    if (sections.contains("direction")) {
      Path sheets = work.resolve("direction/sheets");
      Path here = Path.of("").toAbsolutePath();
      report.direction(
          DirectionBench.run(FidelityRun.set(portraits), NARRATION, packDir, work),
          sheets.startsWith(here) ? here.relativize(sheets) : sheets);
    }
    if (sections.contains("driving")) {
      report.driving(DrivingBench.run(work, packDir, settings, drivingMinutes));
    }
    if (sections.contains("restart")) {
      report.restart(
          RestartBench.run(work, packDir, PORTRAIT, NARRATION, restartSeconds, restartTrials));
    }
    if (sections.contains("api-load")) {
      System.out.println("API load: " + apiClients + " clients for " + trim(apiSeconds) + " s ...");
      report.apiLoad(ApiLoadBench.run(work, packDir, PORTRAIT, NARRATION, apiClients, apiSeconds));
    }
    if (sections.contains("chaos")) {
      double longSeconds = chaosMinutes * 60;
      report.chaos(
          ChaosBench.run(
              work,
              packDir,
              PORTRAIT,
              NARRATION,
              new ChaosBench.Plan(
                  longSeconds, 256, List.of(20.0, 12.0, 30.0), chaosFaults, chaosGap, chaosSeed)));
    }
    String md = report.markdown();
    System.out.println();
    System.out.println(md);
    if (!write.equals("-")) {
      report.writeInto(Path.of(write));
      System.out.println("Written into " + write);
    }
    return 0;
  }

  private String command() {
    StringBuilder sb = new StringBuilder("./farm bench");
    sb.append(" --sections ").append(String.join(",", sections));
    if (sections.contains("naive")) {
      sb.append(String.format(Locale.ROOT, " --naive-seconds %.0f", naiveSeconds));
    }
    if (sections.contains("efficiency")) {
      sb.append(String.format(Locale.ROOT, " --efficiency-seconds %.0f", efficiencySeconds));
    }
    if (sections.contains("workers") || sections.contains("scheduling")) {
      List<String> l = new ArrayList<>();
      workers.forEach(n -> l.add(String.valueOf(n)));
      sb.append(" --workers ").append(String.join(",", l));
      sb.append(" --worker-latency ").append(workerLatencyMs);
    }
    if (sections.contains("fidelity")) {
      sb.append(" --fidelity-seconds ").append(trim(fidelitySeconds));
      if (fidelityVideos != null) {
        sb.append(" --fidelity-videos ").append(fidelityVideos);
      }
    }
    if (sections.contains("driving")) {
      sb.append(" --driving-minutes ").append(trim(drivingMinutes));
    }
    if (sections.contains("api-load")) {
      sb.append(" --api-clients ").append(apiClients);
      sb.append(" --api-seconds ").append(trim(apiSeconds));
    }
    if (sections.contains("chaos")) {
      sb.append(" --chaos-minutes ").append(trim(chaosMinutes));
      sb.append(" --chaos-faults ").append(chaosFaults);
      sb.append(" --chaos-gap ").append(trim(chaosGap));
      sb.append(" --chaos-seed ").append(chaosSeed);
    }
    if (sections.contains("restart")) {
      sb.append(" --restart-seconds ").append(trim(restartSeconds));
      sb.append(" --restart-trials ").append(restartTrials);
    }
    if (sections.contains("length")) {
      sb.append(" --lengths ");
      List<String> l = new ArrayList<>();
      lengthsMinutes.forEach(d -> l.add(trim(d)));
      sb.append(String.join(",", l)).append(" --length-size ").append(lengthSize);
    }
    return sb.toString();
  }

  static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** JVM options of every farm run: those `./farm` gives the launcher. */
  static final List<String> FARM_JVM = List.of("-Xmx2g", "-XX:TieredStopAtLevel=1");

  /** The naive pipeline and the farm on the same input. */
  private void naive(Report report, Path packDir) throws Exception {
    Path audio = Inputs.loopedNarration(NARRATION, naiveSeconds, work.resolve("inputs"));
    Path runs = work.resolve("naive");
    Files.createDirectories(runs);
    System.out.println("Naive pipeline (" + trim(naiveSeconds) + " s) ...");
    ChildRun naive =
        ChildRun.run(
            "naive",
            runs.resolve("naive.log"),
            // the naive pipeline holds every frame: it needs the larger heap
            List.of("-Xmx4g"),
            NaivePipeline.class.getName(),
            List.of(
                packDir.toString(),
                PORTRAIT.toString(),
                audio.toString(),
                runs.resolve("naive.mp4").toString()));
    System.out.println("Farm (" + trim(naiveSeconds) + " s) ...");
    FarmRun farm = FarmRun.run("farm", runs, FARM_JVM, packDir, PORTRAIT, audio);
    report.naive(naiveSeconds, naive, farm);
  }

  /**
   * Simulated GPU workers: the render stage replaced by a fixed latency per frame and a tiny
   * placeholder segment, on one node with 1..16 workers; everything else (Kafka, the motion entity,
   * the render consumer, the muxer) is the real farm. Each run has 20 windows per worker.
   */
  private void workers(Report report, Path packDir) throws Exception {
    Path portrait = Inputs.portrait(PORTRAIT, 256, work.resolve("inputs"));
    List<FarmRun> runs = new ArrayList<>();
    for (int n : workers) {
      double seconds = 20 * n * 2;
      Path audio = Inputs.loopedNarration(NARRATION, seconds, work.resolve("inputs"));
      System.out.println("Farm, " + n + " simulated workers ...");
      List<String> jvm = new ArrayList<>(FARM_JVM);
      jvm.add("-Dactorfarm.render.simulate-only=true");
      jvm.add("-Dactorfarm.render.simulated-latency-per-frame=" + workerLatencyMs + "ms");
      jvm.add("-Dactorfarm.render.workers=" + n);
      runs.add(FarmRun.run("workers-" + n, work.resolve("workers"), jvm, packDir, portrait, audio));
    }
    report.workers(workers, workerLatencyMs, runs);
  }

  private void lengths(Report report, Path packDir) throws Exception {
    Path portrait = Inputs.portrait(PORTRAIT, lengthSize, work.resolve("inputs"));
    List<FarmRun> runs = new ArrayList<>();
    for (double minutes : lengthsMinutes) {
      Path audio = Inputs.loopedNarration(NARRATION, minutes * 60, work.resolve("inputs"));
      System.out.println("Farm, " + trim(minutes) + " min ...");
      runs.add(
          FarmRun.run(
              "length-" + trim(minutes) + "min",
              work.resolve("length"),
              FARM_JVM,
              packDir,
              portrait,
              audio));
    }
    report.lengths(lengthsMinutes, lengthSize, runs);
  }

  /** Reads a whole file, or "" when it is absent. */
  static String read(Path file) throws java.io.IOException {
    return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }
}
