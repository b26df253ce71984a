package dev.actorfarm.runtime.kafka;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Client properties every Kafka client of the process carries: security (SASL, TLS) and anything
 * else set under {@code actorfarm.kafka.client} (see cluster-config's kubernetes.conf for SASL_SSL
 * with SCRAM against Strimzi). Set once when a node starts; the producers, consumers and admin
 * clients of the farm merge them into their own settings.
 */
public final class KafkaClients {

  private static volatile Map<String, String> common = Map.of();

  private KafkaClients() {}

  /** Reads {@code actorfarm.kafka.client} (a flat or nested object of client properties). */
  public static void configure(Config config) {
    Map<String, String> props = new HashMap<>();
    if (config.hasPath("actorfarm.kafka.client")) {
      config
          .getConfig("actorfarm.kafka.client")
          .entrySet()
          .forEach(
              e -> props.put(e.getKey().replace("\"", ""), e.getValue().unwrapped().toString()));
    }
    common = Map.copyOf(props);
  }

  /** The common properties. */
  public static Map<String, String> common() {
    return common;
  }

  /** {@code props} with the common properties added (the caller's own win). */
  public static Map<String, Object> with(Map<String, Object> props) {
    Map<String, Object> out = new HashMap<>(common);
    out.putAll(props);
    return out;
  }

  /** Adds the common properties to {@code props} where it sets nothing itself. */
  public static Properties addTo(Properties props) {
    common.forEach(props::putIfAbsent);
    return props;
  }
}
