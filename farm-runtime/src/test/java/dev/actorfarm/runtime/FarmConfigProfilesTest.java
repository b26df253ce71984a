package dev.actorfarm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import dev.actorfarm.runtime.kafka.KafkaClients;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** cluster-config's profiles: each loads, resolves, and says what its deployment needs. */
class FarmConfigProfilesTest {

  @AfterEach
  void resetClients() {
    KafkaClients.configure(FarmConfig.load(Map.of(), null));
  }

  @Test
  void everyProfileResolvesAndStartsAnActorSystem() {
    for (String profile : FarmConfig.PROFILES) {
      Config c =
          FarmConfig.load(
              Map.of(
                  "pekko.remote.artery.canonical.port",
                  0,
                  "pekko.remote.artery.canonical.hostname",
                  "127.0.0.1"),
              profile);
      assertThat(FarmSettings.create(c).nodeName()).as(profile).isNotBlank();
      assertThat(c.getString("pekko.actor.provider")).isEqualTo("cluster");
      assertThat(c.getString("pekko.cluster.downing-provider-class"))
          .as(profile + ": split-brain resolver")
          .contains("SplitBrainResolverProvider");
      assertThat(c.getString("pekko.cluster.split-brain-resolver.active-strategy"))
          .isEqualTo("keep-majority");
      assertThat(
              c.getString(
                  "pekko.actor.serialization-bindings.\"dev.actorfarm.runtime.CborSerializable\""))
          .isEqualTo("jackson-cbor");
      assertThat(c.getBoolean("pekko.cluster.sharding.remember-entities")).isFalse();
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "profile-" + profile, c);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void embeddedRunsItsOwnBrokerOnLoopback() {
    Config c = FarmConfig.load(Map.of(), "embedded");
    assertThat(FarmSettings.create(c).embeddedKafka()).isTrue();
    assertThat(c.getBoolean("actorfarm.kafka.static-membership")).isTrue();
    assertThat(c.getBoolean("actorfarm.cluster.bootstrap")).isFalse();
    assertThat(c.getStringList("pekko.cluster.seed-nodes")).isEmpty();
  }

  @Test
  void localUsesSeedNodesAndAnExternalBroker() {
    Config c = FarmConfig.load(Map.of(), "local");
    assertThat(FarmSettings.create(c).embeddedKafka()).isFalse();
    assertThat(c.getBoolean("actorfarm.cluster.bootstrap")).isFalse();
    assertThat(c.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds())
        .isEqualTo(5);
  }

  @Test
  void kubernetesBootstrapsThroughTheApiAndTalksSaslSslToStrimzi() {
    Config c =
        FarmConfig.load(
            Map.of(
                "actorfarm.kafka.client.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                    + " username=\"actorfarm\" password=\"pw\";"),
            "kubernetes");
    assertThat(c.getBoolean("actorfarm.cluster.bootstrap")).isTrue();
    assertThat(
            c.getString(
                "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    assertThat(
            c.getInt(
                "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"))
        .isEqualTo(2);
    assertThat(c.getInt("actorfarm.http.management-port")).isEqualTo(8558);
    assertThat(c.getString("actorfarm.blob-store.root")).isEqualTo("/blobs");
    assertThat(c.getString("actorfarm.kafka.bootstrap-servers"))
        .isEqualTo("actorfarm-kafka-bootstrap:9093");
    KafkaClients.configure(c);
    Map<String, String> props = KafkaClients.common();
    assertThat(props)
        .containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL")
        .containsEntry(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512")
        .containsEntry(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM")
        .containsEntry(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, "/etc/actorfarm/kafka-ca/ca.crt")
        .containsKey(SaslConfigs.SASL_JAAS_CONFIG);
    // Every key is one Kafka knows for its clients.
    assertThat(ConsumerConfig.configNames()).containsAll(props.keySet());
    // The farm's clients carry them, the caller's own settings winning.
    assertThat(KafkaClients.with(Map.of(SaslConfigs.SASL_MECHANISM, "PLAIN")))
        .containsEntry(SaslConfigs.SASL_MECHANISM, "PLAIN")
        .containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
  }

  @Test
  void anUnknownProfileIsRefusedByName() {
    assertThatThrownBy(() -> FarmConfig.load(Map.of(), "cloud"))
        .hasMessageContaining("unknown profile 'cloud'")
        .hasMessageContaining("kubernetes");
  }
}
