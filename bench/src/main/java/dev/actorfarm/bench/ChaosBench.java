package dev.actorfarm.bench;

import dev.actorfarm.launcher.Farm;
import dev.actorfarm.launcher.JobClient;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The chaos soak (issue 16): a distributed farm on this machine, a 3-node KRaft cluster (three
 * replicas, min.insync.replicas 2, acks=all, idempotent producers), motion/mux nodes, render nodes
 * and an API node, all separate processes; a long job and short jobs of other priorities; and a
 * seeded schedule of faults on any of those processes, brokers and the active controller included:
 * SIGKILL (restarted after a pause), SIGTERM (the same), SIGSTOP then SIGCONT (a hang, which its
 * peers see as a node cut off). At the end an audit: every job COMPLETED with the frames of its
 * uninterrupted reference run (an embedded {@code farm render} of the same inputs), no dead
 * letters, no consumer lag, no temporary blobs left; and figures: faults by kind, time to recover
 * (to the farm's next rendered window), windows rendered more than once.
 *
 * <p>Network faults, as root: each process in a network namespace of its own ({@link
 * ChaosNetwork}); a PARTITION takes one's link down, a DELAY holds back its Kafka traffic at the
 * brokers' relays ({@link DelayProxy}: this machine has no {@code tc netem}). Without root the run
 * says so and the hang stands in for a partition.
 */
final class ChaosBench {

  private ChaosBench() {}

  /**
   * A fault injected at {@code at} seconds into the run: {@code back}, seconds from the restart (or
   * SIGCONT) until the process serves again (its start-up line; 0 for a resumed hang); {@code
   * recovery}, seconds from then until the farm's next rendered window (0 when the other nodes kept
   * rendering meanwhile).
   */
  record Fault(double at, String kind, String target, double back, double recovery) {}

  /** A job's outcome. */
  record JobOutcome(
      String jobId, String name, int priority, double seconds, JobState state, boolean identical) {}

  record Result(
      long seed,
      double wall,
      List<JobOutcome> jobs,
      List<Fault> faults,
      int windows,
      int renderedTwice,
      long deadLetters,
      long lag,
      int tempBlobs,
      boolean apiHealthy,
      String network,
      long heldBack) {
    boolean passed() {
      return jobs.stream().allMatch(j -> j.state() == JobState.COMPLETED && j.identical())
          && deadLetters == 0
          && lag == 0
          && tempBlobs == 0
          && apiHealthy;
    }
  }

  /** What to run. */
  record Plan(
      double longSeconds,
      int portraitSide,
      List<Double> shortSeconds,
      int faults,
      double faultGapSeconds,
      long seed,
      int motionNodes,
      int renderNodes,
      boolean api,
      boolean controllerFirst,
      boolean networkSecond) {

    /** The soak's farm: three motion/mux nodes, three render nodes and an API node. */
    Plan(
        double longSeconds,
        int portraitSide,
        List<Double> shortSeconds,
        int faults,
        double faultGapSeconds,
        long seed) {
      this(
          longSeconds,
          portraitSide,
          shortSeconds,
          faults,
          faultGapSeconds,
          seed,
          3,
          3,
          true,
          false,
          false);
    }
  }

  /** One process of the farm, restartable with the same arguments. */
  private static final class Proc {
    final String name;
    final String kind;
    final List<String> jvm;
    final List<String> args;
    final Path log;
    List<String> prefix = List.of();
    Process process;

    Proc(String name, String kind, List<String> jvm, List<String> args, Path log) {
      this.name = name;
      this.kind = kind;
      this.jvm = jvm;
      this.args = args;
      this.log = log;
    }

    void start() throws IOException {
      Files.writeString(
          log,
          "\n=== start " + java.time.LocalTime.now() + "\n",
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      process = ChildRun.start(prefix, log, jvm, Farm.class.getName(), args, true);
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    String text() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "";
      }
    }

    void signal(String sig) throws Exception {
      new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid()))
          .inheritIO()
          .start()
          .waitFor();
    }

    void awaitLog(String regex, Duration timeout) throws Exception {
      Pattern p = Pattern.compile(regex);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (p.matcher(text()).find()) {
          return;
        }
        if (!alive()) {
          throw new IOException(name + " exited; see " + log);
        }
        Thread.sleep(100);
      }
      throw new IOException(name + ": no /" + regex + "/ within " + timeout + "; see " + log);
    }
  }

  static Result run(Path work, Path packDir, Path portrait, Path narration, Plan plan)
      throws Exception {
    Path dir = work.resolve("chaos");
    if (Files.exists(dir)) {
      PathUtils.deleteDirectory(dir);
    }
    Files.createDirectories(dir);
    Path face = Inputs.portrait(portrait, plan.portraitSide(), dir.resolve("inputs"));
    Map<String, Path> audio = new LinkedHashMap<>();
    audio.put("long", Inputs.loopedNarration(narration, plan.longSeconds(), dir.resolve("long")));
    for (int i = 0; i < plan.shortSeconds().size(); i++) {
      audio.put(
          "short" + (i + 1),
          Inputs.loopedNarration(narration, plan.shortSeconds().get(i), dir.resolve("s" + i)));
    }
    List<String> jvm = new ArrayList<>(List.of("-Xmx768m", "-XX:+UseSerialGC"));
    jvm.addAll(Bench.FARM_JVM.subList(1, Bench.FARM_JVM.size()));
    jvm.add("-Dactorfarm.model-pack.dir=" + packDir);
    // Reference: each job uninterrupted, on the embedded farm.
    Map<String, String> reference = new HashMap<>();
    // (kept in work/chaos-reference for the same inputs, pack and build of the harness)
    Path references = work.resolve("chaos-reference");
    long build =
        Files.getLastModifiedTime(
                Path.of(
                    ChaosBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()))
            .toMillis();
    String packId = dev.actorfarm.pack.ReferencePack.ensure(packDir).id();
    Files.createDirectories(references);
    for (var e : audio.entrySet()) {
      Path out =
          references.resolve(
              "%s-%ds-%dpx-%s-%d.mp4"
                  .formatted(
                      e.getKey(),
                      Math.round(Files.size(e.getValue()) / (2.0 * Inputs.RATE)),
                      plan.portraitSide(),
                      packId,
                      build));
      if (Files.isRegularFile(out)) {
        reference.put(e.getKey(), RestartBench.digest(out));
        continue;
      }
      System.out.println("Chaos: reference run of " + e.getKey() + " ...");
      ChildRun.run(
          "ref-" + e.getKey(),
          dir.resolve("ref-" + e.getKey() + ".log"),
          jvm,
          Farm.class.getName(),
          List.of(
              "render",
              "--portrait",
              face.toString(),
              "--audio",
              e.getValue().toString(),
              "--data-dir",
              dir.resolve("ref-" + e.getKey()).toString(),
              "--out",
              out.toString()));
      reference.put(e.getKey(), RestartBench.digest(out));
    }
    // The cluster: each process in a network namespace of its own where this machine allows it
    // (partitions can then cut one off), else all on the loopback address.
    List<String> procNames = new ArrayList<>(List.of("b1", "b2", "b3"));
    for (int i = 1; i <= plan.motionNodes(); i++) {
      procNames.add("m" + i);
    }
    for (int i = 1; i <= plan.renderNodes(); i++) {
      procNames.add("r" + i);
    }
    if (plan.api()) {
      procNames.add("api");
    }
    String noNetwork = ChaosNetwork.unavailable();
    ChaosNetwork net = noNetwork == null ? ChaosNetwork.create(procNames) : null;
    java.util.function.Function<String, String> host =
        name -> net == null ? "127.0.0.1" : net.address(name);
    List<Integer> controllers = List.of(freePort(), freePort(), freePort());
    List<Integer> clients = List.of(freePort(), freePort(), freePort());
    String voters =
        "1@%s:%d,2@%s:%d,3@%s:%d"
            .formatted(
                host.apply("b1"),
                controllers.get(0),
                host.apply("b2"),
                controllers.get(1),
                host.apply("b3"),
                controllers.get(2));
    // With the network, each broker is reached through a relay on the bridge that can delay it
    // (DelayProxy): the brokers advertise the relays, so clients and replication go through them.
    List<DelayProxy> relays = new ArrayList<>();
    List<String> reachedAt = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      if (net == null) {
        reachedAt.add(host.apply("b" + (i + 1)) + ":" + clients.get(i));
        continue;
      }
      int relayPort = freePort();
      relays.add(
          DelayProxy.start(
              "b" + (i + 1),
              new java.net.InetSocketAddress(net.gateway(), relayPort),
              new java.net.InetSocketAddress(host.apply("b" + (i + 1)), clients.get(i)),
              net::nameAt));
      reachedAt.add(net.gateway() + ":" + relayPort);
    }
    String bootstrap = String.join(",", reachedAt);
    Path blobRoot = dir.resolve("blobs");
    List<Proc> procs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      procs.add(
          new Proc(
              "b" + i,
              "broker",
              jvm,
              List.of(
                  "broker",
                  "--node-id",
                  String.valueOf(i),
                  "--voters",
                  voters,
                  "--port",
                  String.valueOf(clients.get(i - 1)),
                  "--advertise",
                  reachedAt.get(i - 1),
                  "--data-dir",
                  dir.resolve("b" + i).toString()),
              dir.resolve("b" + i + ".log")));
    }
    List<String> nodeJvm = new ArrayList<>(jvm);
    nodeJvm.addAll(
        List.of(
            "-Dactorfarm.kafka.session-timeout=6s",
            // Ten JVMs share two cores: the failure detector and the split-brain resolver get
            // room not to take a slow node for a dead one.
            "-Dpekko.cluster.split-brain-resolver.stable-after=5s",
            "-Dpekko.cluster.split-brain-resolver.down-all-when-unstable=off",
            "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=6s"));
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < plan.motionNodes(); i++) {
      clusterPorts.add(freePort());
    }
    String seeds =
        java.util.stream.IntStream.range(0, Math.min(2, clusterPorts.size()))
            .mapToObj(i -> host.apply("m" + (i + 1)) + ":" + clusterPorts.get(i))
            .collect(Collectors.joining(","));
    for (int i = 1; i <= plan.motionNodes(); i++) {
      procs.add(
          node(
              "m" + i,
              "motion/mux",
              nodeJvm,
              dir,
              bootstrap,
              blobRoot,
              i < 3 ? "audio,motion,mux" : "motion,mux",
              clusterPorts.get(i - 1),
              seeds,
              host.apply("m" + i)));
    }
    for (int i = 1; i <= plan.renderNodes(); i++) {
      procs.add(
          node(
              "r" + i,
              "render",
              nodeJvm,
              dir,
              bootstrap,
              blobRoot,
              "render",
              0,
              null,
              host.apply("r" + i)));
    }
    int apiPort = freePort();
    List<String> apiJvm = new ArrayList<>(nodeJvm);
    apiJvm.add("-Dactorfarm.blob-store.root=" + blobRoot);
    if (plan.api()) {
      procs.add(
          new Proc(
              "api",
              "api",
              apiJvm,
              List.of(
                  "serve",
                  "--roles",
                  "none",
                  "--kafka",
                  bootstrap,
                  "--port",
                  String.valueOf(apiPort),
                  "--interface",
                  host.apply("api"),
                  "--data-dir",
                  dir.resolve("api").toString()),
              dir.resolve("api.log")));
    }
    if (net != null) {
      for (Proc p : procs) {
        p.prefix = net.enter(p.name);
      }
    }
    long started = System.nanoTime();
    long heldBackBefore = DelayProxy.heldBack();
    List<Fault> faults = new ArrayList<>();
    Map<String, JobOutcome> outcomes = new LinkedHashMap<>();
    try {
      System.out.println("Chaos: starting 3 brokers ...");
      for (Proc p : procs.subList(0, 3)) {
        p.start();
      }
      for (Proc p : procs.subList(0, 3)) {
        p.awaitLog("Kafka broker listening", Duration.ofMinutes(3));
      }
      System.out.println("Chaos: starting the nodes and the API ...");
      procs.get(3).start();
      procs.get(3).awaitLog("Farm node \\S+ up", Duration.ofMinutes(3));
      for (Proc p : procs.subList(4, procs.size())) {
        p.start();
      }
      for (Proc p : procs.subList(4, procs.size())) {
        p.awaitLog(
            p.kind.equals("api") ? "Farm serving on" : "Farm node \\S+ up", Duration.ofMinutes(3));
      }
      // The jobs: the long one first, the short ones spread over the fault schedule.
      var pack = dev.actorfarm.pack.ReferencePack.ensure(packDir);
      FarmKafka kafka = new FarmKafka(bootstrap);
      JobStates states = JobStates.follow(bootstrap);
      JobClient client = new JobClient(kafka, new BlobStore(blobRoot), "chaos");
      Map<String, String> ids = new LinkedHashMap<>();
      Random random = new Random(plan.seed());
      List<String> names = new ArrayList<>(audio.keySet());
      int[] priorities = {50, 80, 30, 65, 40};
      int submitted = 0;
      submitted = submit(client, pack.id(), face, audio, names, ids, priorities, submitted);
      // Faults.
      for (int f = 0; f < plan.faults(); f++) {
        Thread.sleep((long) (plan.faultGapSeconds() * (0.5 + random.nextDouble()) * 1000));
        boolean idle = ids.keySet().stream().allMatch(id -> done(states, id));
        if (submitted < names.size()
            && (idle || f % Math.max(1, plan.faults() / names.size()) == 0)) {
          submitted = submit(client, pack.id(), face, audio, names, ids, priorities, submitted);
        }
        faults.add(
            inject(
                procs,
                random,
                started,
                bootstrap,
                net,
                f == 0 && plan.controllerFirst(),
                f == 1 && plan.networkSecond()
                    ? "PARTITION"
                    : f == 2 && plan.networkSecond() ? "DELAY" : null,
                // no window left to render: every job submitted so far has ended
                () -> ids.keySet().stream().allMatch(id -> done(states, id))));
        boolean forcedDone = f >= 2 || !plan.networkSecond() || net == null;
        if (forcedDone
            && submittedAll(ids, names)
            && ids.keySet().stream().allMatch(id -> done(states, id))) {
          System.out.println("Chaos: every job finished after " + (f + 1) + " faults");
          break;
        }
      }
      while (submitted < names.size()) {
        submitted = submit(client, pack.id(), face, audio, names, ids, priorities, submitted);
      }
      // Every process back, then wait for the jobs.
      for (Proc p : procs) {
        if (!p.alive()) {
          p.start();
        }
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      while (!ids.keySet().stream().allMatch(id -> done(states, id))
          && System.nanoTime() < deadline) {
        Thread.sleep(500);
      }
      double wall = (System.nanoTime() - started) / 1e9;
      for (var e : ids.entrySet()) {
        var status = states.get(e.getKey()).orElse(null);
        JobState state = status == null ? JobState.JOB_STATE_UNKNOWN : status.state();
        boolean identical =
            state == JobState.COMPLETED
                && RestartBench.digest(new BlobStore(blobRoot).resolve(status.output().getUri()))
                    .equals(reference.get(e.getValue()));
        int index = names.indexOf(e.getValue());
        outcomes.put(
            e.getKey(),
            new JobOutcome(
                e.getKey(),
                e.getValue(),
                priorities[index % priorities.length],
                e.getValue().equals("long")
                    ? plan.longSeconds()
                    : plan.shortSeconds().get(index - 1),
                state,
                identical));
      }
      // The audit.
      Thread.sleep(5000); // the last commits
      Map<String, Integer> rendered = new HashMap<>();
      Pattern line = Pattern.compile("Rendered (job-\\S+) window (\\d+) ");
      for (Proc p : procs) {
        Matcher m = line.matcher(p.text());
        while (m.find()) {
          rendered.merge(m.group(1) + "/" + m.group(2), 1, Integer::sum);
        }
      }
      int twice = (int) rendered.values().stream().filter(n -> n > 1).count();
      long deadLetters;
      long lag;
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
        deadLetters = records(admin, Topics.DEAD_LETTERS.name());
        // Offsets still moving are not stuck: after a fault late in the run (a partitioned group
        // coordinator, say) the last commits land a little later. Stuck is what stays for 60 s.
        long lagDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        lag = lag(admin);
        while (lag > 0 && System.nanoTime() < lagDeadline) {
          Thread.sleep(1000);
          lag = lag(admin);
        }
      }
      int temp;
      try (Stream<Path> files = Files.walk(blobRoot)) {
        temp = (int) files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).count();
      }
      boolean healthy = !plan.api() || healthy(host.apply("api"), apiPort);
      states.close();
      kafka.close();
      String network =
          net != null
              ? "each process in a network namespace of its own on a bridge; a PARTITION cuts one"
                  + " process's link for 2-6 s (ip link down), isolating it from the whole farm. A"
                  + " DELAY holds back every byte of one process's Kafka traffic by 100-1000 ms"
                  + " for 2-6 s: the brokers advertise relays on the bridge (the harness's"
                  + " DelayProxy), since this machine's kernel has no sch_netem module (tc netem);"
                  + " the controllers' quorum and the Pekko cluster's own traffic are not delayed."
                  + " No iptables/nft here for partial partitions"
              : "not injected (" + noNetwork + "); a SIGSTOP hang stands in for a partition";
      return new Result(
          plan.seed(),
          wall,
          List.copyOf(outcomes.values()),
          faults,
          rendered.size(),
          twice,
          deadLetters,
          lag,
          temp,
          healthy,
          network,
          DelayProxy.heldBack() - heldBackBefore);
    } finally {
      for (Proc p : procs) {
        if (p.process != null) {
          p.signal("CONT");
          p.process.destroy();
        }
      }
      for (Proc p : procs) {
        if (p.process != null && !p.process.waitFor(60, TimeUnit.SECONDS)) {
          p.process.destroyForcibly();
        }
      }
      relays.forEach(DelayProxy::close);
      if (net != null) {
        net.close();
      }
    }
  }

  private static int submit(
      JobClient client,
      String packId,
      Path face,
      Map<String, Path> audio,
      List<String> names,
      Map<String, String> ids,
      int[] priorities,
      int next)
      throws Exception {
    String name = names.get(next);
    double seconds = Files.size(audio.get(name)) / (2.0 * Inputs.RATE);
    var job =
        client.prepare(
            new JobClient.Request(face, audio.get(name), 0, 0, null, false, packId, seconds));
    client
        .submit(job, new JobStates.Controls(priorities[next % priorities.length], false, 0))
        .close();
    ids.put(job.jobId(), name);
    System.out.printf(
        "Chaos: submitted %s (%s, priority %d)%n",
        name, job.jobId(), priorities[next % priorities.length]);
    return next + 1;
  }

  private static boolean submittedAll(Map<String, String> ids, List<String> names) {
    return ids.size() == names.size();
  }

  private static boolean done(JobStates states, String jobId) {
    return states.get(jobId).map(JobStates.Status::terminal).orElse(false);
  }

  /**
   * One fault on a process chosen by {@code random}: a broker only while all three are up (a write
   * needs two), the active controller as likely as any other broker; a farm node only while another
   * of its kind is up. Waits for the farm's next rendered window to time the recovery.
   */
  private static Fault inject(
      List<Proc> procs,
      Random random,
      long started,
      String bootstrap,
      ChaosNetwork net,
      boolean killController,
      String forced,
      java.util.function.BooleanSupplier finished)
      throws Exception {
    List<Proc> candidates = new ArrayList<>();
    for (Proc p : procs) {
      long upOfKind = procs.stream().filter(q -> q.kind.equals(p.kind) && q.alive()).count();
      boolean spare =
          p.kind.equals("broker") ? upOfKind == 3 : upOfKind >= 2 || p.kind.equals("api");
      if (p.alive() && spare) {
        candidates.add(p);
      }
    }
    Proc target = candidates.get(random.nextInt(candidates.size()));
    String[] kinds =
        net != null
            ? new String[] {"SIGKILL", "SIGTERM", "SIGSTOP", "PARTITION", "DELAY"}
            : new String[] {"SIGKILL", "SIGTERM", "SIGSTOP"};
    String kind = kinds[random.nextInt(kinds.length)];
    if (forced != null && net != null) {
      kind = forced;
    }
    if (killController) {
      target =
          procs.stream()
              .filter(p -> p.kind.equals("broker") && isController(p, bootstrap))
              .findFirst()
              .orElse(procs.get(0));
      kind = "SIGKILL";
    }
    String label =
        target.name
            + (target.kind.equals("broker") && isController(target, bootstrap)
                ? " (active controller)"
                : "");
    double at = (System.nanoTime() - started) / 1e9;
    int before = renderedCount(procs);
    // A slow link: 100-1000 ms more on every byte of the process's Kafka traffic.
    long delayMs = 100 + random.nextInt(901);
    if (kind.equals("DELAY")) {
      label += ", +" + delayMs + " ms";
    }
    System.out.printf("Chaos: %.0f s: %s of %s%n", at, kind, label);
    switch (kind) {
      case "SIGKILL" -> target.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      case "SIGTERM" -> {
        target.process.destroy();
        if (!target.process.waitFor(90, TimeUnit.SECONDS)) {
          target.process.destroyForcibly();
        }
      }
      case "PARTITION" -> net.cut(target.name);
      case "DELAY" -> DelayProxy.delay(target.name, delayMs);
      default -> target.signal("STOP");
    }
    Thread.sleep(2000 + random.nextInt(4000));
    long restarted = System.nanoTime();
    double back = 0;
    if (kind.equals("SIGSTOP")) {
      target.signal("CONT");
    } else if (kind.equals("PARTITION")) {
      net.heal(target.name);
    } else if (kind.equals("DELAY")) {
      DelayProxy.delay(target.name, 0);
    } else {
      int from = target.text().length();
      target.start();
      Pattern up =
          Pattern.compile(
              switch (target.kind) {
                case "broker" -> "Kafka broker listening";
                case "api" -> "Farm serving on";
                default -> "Farm node \\S+ up";
              });
      long upDeadline = restarted + Duration.ofMinutes(3).toNanos();
      while (!up.matcher(target.text().substring(Math.min(from, target.text().length()))).find()
          && target.alive()
          && System.nanoTime() < upDeadline) {
        Thread.sleep(100);
      }
      back = (System.nanoTime() - restarted) / 1e9;
    }
    long t0 = System.nanoTime();
    long deadline = t0 + Duration.ofMinutes(3).toNanos();
    while (renderedCount(procs) <= before
        && !finished.getAsBoolean()
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    double recovery = (System.nanoTime() - t0) / 1e9;
    return new Fault(at, kind, label, back, recovery);
  }

  private static boolean isController(Proc broker, String bootstrap) {
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
      int leader = admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
      return broker.name.equals("b" + leader);
    } catch (Exception e) {
      return false;
    }
  }

  private static int renderedCount(List<Proc> procs) {
    int n = 0;
    for (Proc p : procs) {
      if (p.kind.equals("render")) {
        Matcher m = Pattern.compile("Rendered job-\\S+ window \\d+ ").matcher(p.text());
        while (m.find()) {
          n++;
        }
      }
    }
    return n;
  }

  private static long records(Admin admin, String topic) throws Exception {
    var partitions =
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (var p : partitions) {
      earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
      latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
    }
    var from = admin.listOffsets(earliest).all().get();
    var to = admin.listOffsets(latest).all().get();
    long n = 0;
    for (var tp : from.keySet()) {
      n += to.get(tp).offset() - from.get(tp).offset();
    }
    return n;
  }

  /** Records not yet committed by the farm's consumer groups, over all their partitions. */
  private static long lag(Admin admin) throws Exception {
    long lag = 0;
    for (var g : admin.listConsumerGroups().all().get()) {
      if (!g.groupId().startsWith("farm-") && !g.groupId().startsWith("motion-")) {
        continue;
      }
      var committed =
          admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      var end = admin.listOffsets(latest).all().get();
      for (var e : committed.entrySet()) {
        if (e.getValue() != null) {
          lag += Math.max(0, end.get(e.getKey()).offset() - e.getValue().offset());
        }
      }
    }
    return lag;
  }

  private static boolean healthy(String host, int port) {
    try {
      var http = java.net.http.HttpClient.newHttpClient();
      var r =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://" + host + ":" + port + "/healthz"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  private static Proc node(
      String name,
      String kind,
      List<String> jvm,
      Path dir,
      String kafka,
      Path blobRoot,
      String roles,
      int clusterPort,
      String seeds,
      String host) {
    List<String> args =
        new ArrayList<>(
            dev.actorfarm.launcher.NodeCommand.commandLine(
                name, roles, kafka, blobRoot, dir, clusterPort, seeds));
    args.addAll(List.of("--cluster-host", host));
    return new Proc(name, kind, jvm, args, dir.resolve(name + ".log"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
