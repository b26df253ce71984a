package dev.actorfarm.launcher.api;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The {@code actorfarm.http} section: where the API listens, its token and its limits. */
public record ApiSettings(
    String iface,
    int port,
    int managementPort,
    String token,
    long maxUploadBytes,
    long maxPortraitBytes,
    List<Path> allowedRoots,
    Duration submitTimeout) {

  public static ApiSettings create(Config config) throws IOException {
    Config c = config.getConfig("actorfarm.http");
    List<Path> roots = new ArrayList<>();
    for (String r : c.getStringList("allowed-roots")) {
      Path p = Path.of(r).toAbsolutePath().normalize();
      if (!Files.isDirectory(p)) {
        throw new IOException("actorfarm.http.allowed-roots: " + r + " is not a directory");
      }
      // Real paths: a symbolic link inside a root must not lead a request out of it.
      roots.add(p.toRealPath());
    }
    return new ApiSettings(
        c.getString("interface"),
        c.getInt("port"),
        c.getInt("management-port"),
        c.getString("token"),
        c.getBytes("max-upload-size"),
        c.getBytes("max-portrait-size"),
        List.copyOf(roots),
        c.getDuration("submit-timeout"));
  }

  public boolean authRequired() {
    return !token.isEmpty();
  }
}
