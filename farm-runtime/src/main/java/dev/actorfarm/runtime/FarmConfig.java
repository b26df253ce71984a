package dev.actorfarm.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/**
 * Loads the farm's configuration, highest priority first: the caller's overrides (command-line
 * options), system properties, {@code application.conf}, the deployment profile ({@code
 * profiles/<name>.conf} of cluster-config, named by {@code -Dactorfarm.profile} or {@code
 * ACTORFARM_PROFILE}: embedded, local or kubernetes), the farm's defaults ({@code actorfarm.conf}),
 * then every library's {@code reference.conf}.
 */
public final class FarmConfig {

  private FarmConfig() {}

  public static Config load() {
    return load(Map.of());
  }

  /** The profiles cluster-config ships. */
  public static final java.util.List<String> PROFILES =
      java.util.List.of("embedded", "local", "kubernetes");

  public static Config load(Map<String, ?> overrides) {
    String profile = System.getProperty("actorfarm.profile", System.getenv("ACTORFARM_PROFILE"));
    return load(overrides, profile == null || profile.isBlank() ? null : profile.trim());
  }

  /** As {@link #load(Map)} with the profile given ({@code null}: none). */
  public static Config load(Map<String, ?> overrides, String profile) {
    Config profileConfig = ConfigFactory.empty();
    if (profile != null) {
      if (!PROFILES.contains(profile)) {
        throw new IllegalArgumentException(
            "unknown profile '" + profile + "' (ACTORFARM_PROFILE): one of " + PROFILES);
      }
      profileConfig =
          ConfigFactory.parseResources(
              "profiles/" + profile + ".conf",
              com.typesafe.config.ConfigParseOptions.defaults().setAllowMissing(false));
    }
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(profileConfig)
        .withFallback(ConfigFactory.parseResources("actorfarm.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
