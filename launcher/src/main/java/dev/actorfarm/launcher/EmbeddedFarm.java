package dev.actorfarm.launcher;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorfarm.audio.AudioRole;
import dev.actorfarm.motion.MotionRole;
import dev.actorfarm.muxer.MuxRole;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.render.RenderEngine;
import dev.actorfarm.render.RenderRole;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.KafkaClients;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A farm node: the embedded broker (unless an external Kafka is configured), the topics, a Pekko
 * cluster node and the roles asked for. In embedded mode one node runs every role and forms a
 * single-node cluster with itself.
 */
public final class EmbeddedFarm implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedFarm.class);

  /** The roles a node can run. */
  public enum Role {
    AUDIO,
    VIDEO,
    MOTION,
    RENDER,
    MUX;

    /**
     * The roles named on a command line ("audio,motion", "none" for none).
     *
     * @throws IllegalArgumentException naming the unknown role
     */
    public static Set<Role> parse(List<String> names) {
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String r : names) {
        String name = r.trim();
        if (name.isEmpty() || name.equalsIgnoreCase("none")) {
          continue;
        }
        try {
          roles.add(valueOf(name.toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "unknown role '" + r + "' (audio, video, motion, render, mux, none)", e);
        }
      }
      return roles;
    }
  }

  private final FarmSettings settings;
  private final FarmKafka kafka;
  private final JobStates jobs;
  private final ModelPack pack;
  private final BlobStore blobs;
  private final ActorSystem<Void> system;

  private EmbeddedFarm(
      FarmSettings settings,
      FarmKafka kafka,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs,
      ActorSystem<Void> system) {
    this.settings = settings;
    this.kafka = kafka;
    this.jobs = jobs;
    this.pack = pack;
    this.blobs = blobs;
    this.system = system;
  }

  /** Starts a node running every role. */
  public static EmbeddedFarm start(Config config) throws Exception {
    return start(config, EnumSet.allOf(Role.class), null);
  }

  /** Starts a node running {@code roles}. */
  public static EmbeddedFarm start(Config config, Set<Role> roles) throws Exception {
    return start(config, roles, null);
  }

  /**
   * Starts the embedded broker of a node on its own thread, for a caller that has other work to do
   * meanwhile ({@code farm render} validates its inputs): the broker is the longest step of a
   * node's start and needs nothing else. Hand the result to {@link #start(Config, Set,
   * CompletableFuture)}, or close it.
   */
  public static CompletableFuture<EmbeddedKafka> startBroker(FarmSettings settings) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Files.createDirectories(settings.dataDir());
            return EmbeddedKafka.start(
                settings.dataDir().resolve("kafka"), settings.embeddedKafkaPort());
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        runnable -> new Thread(runnable, "embedded-kafka-start").start());
  }

  /** The node's Kafka side, ready: the broker (if embedded), topics, producer and job states. */
  private record KafkaSide(
      EmbeddedKafka broker, String bootstrap, FarmKafka kafka, JobStates jobs) {}

  /**
   * Starts a node running {@code roles}. Motion and mux nodes are members of the Pekko cluster:
   * they join the configured seed nodes, or form a cluster of their own when none are configured.
   * Audio and render nodes need no cluster and run a local actor system.
   *
   * <p>The Kafka side (broker, topics, the job states read to their end) starts on one thread while
   * this one loads the model pack and forms the cluster: a restart pays the longer of the two, not
   * their sum (BENCHMARKS.md, "Restart").
   *
   * @param broker an embedded broker already starting ({@link #startBroker}), or null
   */
  public static EmbeddedFarm start(
      Config config, Set<Role> roles, CompletableFuture<EmbeddedKafka> broker) throws Exception {
    return start(config, roles, broker, null);
  }

  /**
   * As {@link #start(Config, Set, CompletableFuture)}, with the portrait the node is about to
   * render ({@code farm render}'s), whose state its render workers build while they warm up.
   */
  public static EmbeddedFarm start(
      Config config,
      Set<Role> roles,
      CompletableFuture<EmbeddedKafka> broker,
      RenderEngine.Next next)
      throws Exception {
    boolean clustered = roles.contains(Role.MOTION) || roles.contains(Role.MUX);
    if (!clustered) {
      config = ConfigFactory.parseMap(Map.of("pekko.actor.provider", "local")).withFallback(config);
    } else {
      // Cluster roles: the render scheduler is a singleton among the motion nodes.
      config =
          ConfigFactory.parseMap(
                  Map.of(
                      "pekko.cluster.roles",
                      roles.stream()
                          .map(r -> r.name().toLowerCase(java.util.Locale.ROOT))
                          .toList()))
              .withFallback(config);
    }
    config = withBlockingThreads(config, roles);
    FarmSettings settings = FarmSettings.create(config);
    Files.createDirectories(settings.dataDir());
    KafkaClients.configure(config);
    CompletableFuture<EmbeddedKafka> starting =
        broker != null || !settings.embeddedKafka() ? broker : startBroker(settings);
    CompletableFuture<KafkaSide> kafkaSide =
        CompletableFuture.supplyAsync(
            () -> kafkaSide(settings, starting == null ? null : starting.join()),
            runnable -> new Thread(runnable, "farm-kafka-start").start());
    ModelPack pack;
    ActorSystem<Void> system;
    KafkaSide k;
    RenderEngine.Supply engines = null;
    try {
      pack = loadPack(settings);
      StartupTimeline.mark("pack");
      system = ActorSystem.create(Behaviors.empty(), "actorfarm", config);
      StartupTimeline.mark("actor system");
      if (roles.contains(Role.RENDER)) {
        // The render sessions open and warm up while the broker starts (a restarted broker waits
        // out its previous incarnation's session, idle): the first window does not pay for them.
        // After the actor system, not beside it: on two cores that slowed the broker by 0.2-0.3 s.
        engines = RenderEngine.Supply.prepare(pack, settings, settings.render().workers(), next);
      }
    } catch (Exception | Error e) {
      kafkaSide.thenAccept(EmbeddedFarm::closeQuietly);
      if (engines != null) {
        engines.close();
      }
      throw e;
    }
    try {
      k = kafkaSide.join();
    } catch (java.util.concurrent.CompletionException e) {
      system.terminate();
      if (engines != null) {
        engines.close();
      }
      throw unwrap(e);
    }
    FarmKafka kafka = k.kafka();
    JobStates jobs = k.jobs();
    String bootstrap = k.bootstrap();
    BlobStore blobs = new BlobStore(settings.blobRoot(), settings.diskMinFree());
    if (clustered) {
      Cluster cluster = Cluster.get(system);
      if (config.getBoolean("actorfarm.cluster.bootstrap")) {
        // Kubernetes: the members find each other through the API server (pekko-management's
        // Cluster Bootstrap with kubernetes-api discovery; see cluster-config/kubernetes.conf).
        var classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system);
        org.apache.pekko.management.javadsl.PekkoManagement.get(classic).start();
        org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap.get(classic).start();
      } else if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
    }
    if (roles.contains(Role.RENDER) || roles.contains(Role.MUX)) {
      jobs.onTransition(
          s -> {
            if (s.state() == JobState.CANCELLED) {
              removeJobFiles(blobs, s.jobId());
            }
          });
    }
    List<Consumer.DrainingControl<Done>> controls = new ArrayList<>();
    if (roles.contains(Role.AUDIO)) {
      controls.add(AudioRole.start(system, kafka, settings, jobs, pack, blobs));
    }
    if (roles.contains(Role.VIDEO)) {
      controls.add(dev.actorfarm.video.VideoRole.start(system, kafka, settings, jobs, pack, blobs));
    }
    if (roles.contains(Role.MOTION)) {
      controls.add(MotionRole.start(system, kafka, settings, jobs, pack, blobs));
    }
    if (roles.contains(Role.RENDER)) {
      controls.add(RenderRole.start(system, kafka, settings, jobs, pack, blobs, engines));
    }
    if (roles.contains(Role.MUX)) {
      controls.addAll(MuxRole.start(system, kafka, settings, jobs, blobs));
    }
    registerShutdown(system, controls, jobs, kafka, k.broker(), settings.dataDir());
    for (Consumer.DrainingControl<Done> c : controls) {
      // A role whose consumer dies can do no more work: stop the node loudly rather than idle.
      c.streamCompletion()
          .whenComplete(
              (done, error) -> {
                if (error != null) {
                  log.error("A role's Kafka consumer failed; stopping the node", error);
                  CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason());
                }
              });
    }
    StartupTimeline.mark("node up");
    log.info("Farm node up: roles {}, pack {}, Kafka {}", roles, pack.id(), bootstrap);
    log.info("Start-up, seconds from the JVM's start: {}", StartupTimeline.summary());
    return new EmbeddedFarm(settings, kafka, jobs, pack, blobs, system);
  }

  /** Starts the node's Kafka side on the calling thread; closes what it started if it fails. */
  private static KafkaSide kafkaSide(FarmSettings settings, EmbeddedKafka broker) {
    String bootstrap = broker == null ? settings.kafkaBootstrap() : broker.bootstrapServers();
    try {
      if (broker != null) {
        // Where `farm status` and `farm cancel` find this farm while it runs.
        Files.writeString(settings.dataDir().resolve(FarmConnection.ADDRESS_FILE), bootstrap);
      }
      StartupTimeline.mark("broker");
      FarmKafka.ensureTopics(bootstrap, settings);
      StartupTimeline.mark("topics");
      FarmKafka kafka = new FarmKafka(bootstrap);
      JobStates jobs = JobStates.follow(bootstrap);
      if (!jobs.awaitCaughtUp(Duration.ofSeconds(60))) {
        log.warn("Job states not read to the end within 60 s; starting anyway");
      }
      StartupTimeline.mark("job states");
      return new KafkaSide(broker, bootstrap, kafka, jobs);
    } catch (Exception e) {
      if (broker != null) {
        broker.close();
      }
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  /** The failure behind the wrappers of a future's join. */
  static Exception unwrap(Throwable e) {
    Throwable c = e;
    while ((c instanceof java.util.concurrent.CompletionException
            || c instanceof java.io.UncheckedIOException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c instanceof Exception ex ? ex : new IllegalStateException(c);
  }

  private static void closeQuietly(KafkaSide k) {
    k.jobs().close();
    k.kafka().close();
    if (k.broker() != null) {
      k.broker().close();
    }
  }

  private static final String BLOCKING_THREADS =
      "actorfarm.blocking-dispatcher.thread-pool-executor.fixed-pool-size";

  /**
   * {@code config} with the blocking dispatcher sized for the node: the configured threads for
   * short blocking work, plus one per render worker and per audio or video analysis slot the node
   * runs (each holds its thread for a whole window or narration).
   */
  static Config withBlockingThreads(Config config, Set<Role> roles) {
    int threads = config.getInt(BLOCKING_THREADS);
    if (roles.contains(Role.RENDER)) {
      threads += config.getInt("actorfarm.render.workers");
    }
    if (roles.contains(Role.AUDIO)) {
      threads += config.getInt("actorfarm.audio.parallelism");
    }
    if (roles.contains(Role.VIDEO)) {
      threads += config.getInt("actorfarm.video.parallelism");
    }
    return ConfigFactory.parseMap(Map.of(BLOCKING_THREADS, threads)).withFallback(config);
  }

  /**
   * The node's orderly stop, run by {@link CoordinatedShutdown} on {@link #close()} and on SIGTERM:
   * the consumers stop fetching, let the records in flight finish (a render worker completes its
   * window), commit and leave their groups; then sharding hands its entities over and the node
   * leaves the cluster; last, the producer flushes and the embedded broker stops.
   */
  private static void registerShutdown(
      ActorSystem<Void> system,
      List<Consumer.DrainingControl<Done>> controls,
      JobStates jobs,
      FarmKafka kafka,
      EmbeddedKafka broker,
      java.nio.file.Path dataDir) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "drain-kafka-consumers",
        () -> {
          log.info("Draining {} consumers: finishing the records in flight", controls.size());
          List<CompletableFuture<Done>> drained = new ArrayList<>();
          for (Consumer.DrainingControl<Done> c : controls) {
            drained.add(c.drainAndShutdown(system.executionContext()).toCompletableFuture());
          }
          return CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new))
              .handle(
                  (v, e) -> {
                    log.info("Consumers drained{}", e == null ? "" : " with " + e.getMessage());
                    return Done.getInstance();
                  });
        });
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-kafka",
        () ->
            CompletableFuture.supplyAsync(
                () -> {
                  jobs.close();
                  kafka.close();
                  if (broker != null) {
                    broker.close();
                    try {
                      Files.deleteIfExists(dataDir.resolve(FarmConnection.ADDRESS_FILE));
                    } catch (IOException e) {
                      log.debug("Cannot remove the broker address file", e);
                    }
                  }
                  return Done.getInstance();
                }));
  }

  /**
   * Makes SIGTERM drain this node completely before the JVM's shutdown hooks run; for the process
   * that owns the node ({@code farm node}, {@code farm serve}). Without it SIGTERM starts every
   * shutdown hook at once: Pekko's, which drains the node, and ONNX Runtime's own ({@code
   * OrtEnvironment} registers one that releases the native environment), so a render worker still
   * finishing its window could call into a released environment and the process would die in a
   * native assertion instead of draining. The process still exits with 143, as for a plain SIGTERM.
   *
   * <p>{@code sun.misc.Signal} (module jdk.unsupported, kept for exactly this use by JEP 260) is
   * reached by reflection, because the build treats its compile-time warning as an error; where it
   * is missing the node keeps the shutdown hooks' behaviour and says so.
   */
  public void drainOnSigterm() {
    Runnable drain =
        () ->
            new Thread(
                    () -> {
                      log.info("SIGTERM: draining the node before the process exits");
                      CoordinatedShutdown.get(system).run(CoordinatedShutdown.jvmExitReason());
                      system.getWhenTerminated().toCompletableFuture().join();
                      System.exit(128 + 15);
                    },
                    "sigterm-drain")
                .start();
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object onTerm =
          java.lang.reflect.Proxy.newProxyInstance(
              handler.getClassLoader(),
              new Class<?>[] {handler},
              (proxy, method, args) ->
                  switch (method.getName()) {
                    case "handle" -> {
                      drain.run();
                      yield null;
                    }
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "SIGTERM drain of " + settings.nodeName();
                  });
      signal
          .getMethod("handle", signal, handler)
          .invoke(null, signal.getConstructor(String.class).newInstance("TERM"), onTerm);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn(
          "Cannot handle SIGTERM ({}); the shutdown hooks drain the node, and may race ONNX"
              + " Runtime's",
          e.toString());
    }
  }

  /** Removes a cancelled job's intermediates and output from the blob store. */
  static void removeJobFiles(BlobStore blobs, String jobId) {
    try {
      blobs.deleteTree(dev.actorfarm.runtime.blob.JobPaths.folder(jobId));
      log.info("Job {} cancelled: its files are removed", jobId);
    } catch (IOException | RuntimeException e) {
      log.warn("Cannot remove the files of cancelled job {}: {}", jobId, e.getMessage());
    }
  }

  /** The configured model pack, or the reference pack generated on first use. */
  public static ModelPack loadPack(FarmSettings settings) throws IOException {
    return settings.referencePack()
        ? ReferencePack.ensure(settings.modelPackDir())
        : ReferencePack.load(
            settings.modelPackDir(), settings.dataDir().resolve("packs").resolve("reference"));
  }

  public FarmSettings settings() {
    return settings;
  }

  public FarmKafka kafka() {
    return kafka;
  }

  public ModelPack pack() {
    return pack;
  }

  public BlobStore blobs() {
    return blobs;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public JobStates jobs() {
    return jobs;
  }

  /**
   * Ready for work and requests (what {@code /readyz} says): the node runs and still follows the
   * job events that its roles and its API answer from.
   */
  public boolean ready() {
    return !stopping() && jobs.following();
  }

  /** True once the node has begun to stop (a failed role stops it). */
  public boolean stopping() {
    return CoordinatedShutdown.get(system).getShutdownReason().isPresent();
  }

  /** Stops the node in order (see {@link #registerShutdown}) and waits for it. */
  @Override
  public void close() {
    CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason());
    try {
      system.getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Farm node did not stop in time: {}", e.getMessage());
    }
  }
}
