package dev.actorfarm.launcher;

import com.typesafe.config.Config;
import dev.actorfarm.audio.AudioRole;
import dev.actorfarm.motion.MotionRole;
import dev.actorfarm.muxer.MuxRole;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.RenderRole;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
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
    MOTION,
    RENDER,
    MUX
  }

  private final FarmSettings settings;
  private final EmbeddedKafka broker;
  private final FarmKafka kafka;
  private final ModelPack pack;
  private final BlobStore blobs;
  private final ActorSystem<Void> system;
  private final List<Consumer.DrainingControl<Done>> controls;

  private EmbeddedFarm(
      FarmSettings settings,
      EmbeddedKafka broker,
      FarmKafka kafka,
      ModelPack pack,
      BlobStore blobs,
      ActorSystem<Void> system,
      List<Consumer.DrainingControl<Done>> controls) {
    this.settings = settings;
    this.broker = broker;
    this.kafka = kafka;
    this.pack = pack;
    this.blobs = blobs;
    this.system = system;
    this.controls = controls;
  }

  /** Starts a node running every role. */
  public static EmbeddedFarm start(Config config) throws Exception {
    return start(config, EnumSet.allOf(Role.class));
  }

  /** Starts a node running {@code roles}. */
  public static EmbeddedFarm start(Config config, Set<Role> roles) throws Exception {
    FarmSettings settings = FarmSettings.create(config);
    Files.createDirectories(settings.dataDir());
    EmbeddedKafka broker = null;
    String bootstrap = settings.kafkaBootstrap();
    if (settings.embeddedKafka()) {
      broker =
          EmbeddedKafka.start(settings.dataDir().resolve("kafka"), settings.embeddedKafkaPort());
      bootstrap = broker.bootstrapServers();
    }
    FarmKafka.ensureTopics(bootstrap, settings);
    FarmKafka kafka = new FarmKafka(bootstrap);
    ModelPack pack = loadPack(settings);
    BlobStore blobs = new BlobStore(settings.blobRoot());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "actorfarm", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    List<Consumer.DrainingControl<Done>> controls = new ArrayList<>();
    if (roles.contains(Role.AUDIO)) {
      controls.add(AudioRole.start(system, kafka, settings, pack, blobs));
    }
    if (roles.contains(Role.MOTION)) {
      controls.add(MotionRole.start(system, kafka, settings, pack));
    }
    if (roles.contains(Role.RENDER)) {
      controls.add(RenderRole.start(system, kafka, settings, pack, blobs));
    }
    if (roles.contains(Role.MUX)) {
      controls.addAll(MuxRole.start(system, kafka, settings, blobs));
    }
    log.info("Farm node up: roles {}, pack {}, Kafka {}", roles, pack.id(), bootstrap);
    return new EmbeddedFarm(settings, broker, kafka, pack, blobs, system, controls);
  }

  /** The configured model pack, or the reference pack generated on first use. */
  public static ModelPack loadPack(FarmSettings settings) throws IOException {
    return settings.referencePack()
        ? ReferencePack.ensure(settings.modelPackDir())
        : ModelPack.load(settings.modelPackDir());
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

  @Override
  public void close() {
    List<CompletableFuture<Done>> drained = new ArrayList<>();
    for (Consumer.DrainingControl<Done> c : controls) {
      drained.add(c.drainAndShutdown(system.executionContext()).toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Consumers did not drain in time: {}", e.getMessage());
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Actor system did not terminate in time: {}", e.getMessage());
    }
    kafka.close();
    if (broker != null) {
      broker.close();
    }
  }
}
