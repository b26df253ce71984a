package dev.actorfarm.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/**
 * Loads the farm's configuration, highest priority first: the caller's overrides (command-line
 * options), system properties, {@code application.conf}, the farm's defaults ({@code
 * actorfarm.conf} of cluster-config), then every library's {@code reference.conf}.
 */
public final class FarmConfig {

  private FarmConfig() {}

  public static Config load() {
    return load(Map.of());
  }

  public static Config load(Map<String, ?> overrides) {
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.parseResources("actorfarm.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
