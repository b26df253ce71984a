package dev.actorfarm.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real small disk for tests of a full disk: a tmpfs of a given size, mounted at {@code
 * mountPoint} inside a mount namespace of its own ({@code unshare -m}) that a holder process keeps
 * alive. A process started with {@link #enter} sees the tmpfs at {@code mountPoint}; the test
 * itself reaches it through {@link #path}, the holder's view ({@code /proc/PID/root/...}). Closing
 * ends the holder, and with it the mount: nothing is left mounted on the machine.
 *
 * <p>Needs root (CI and this machine run as root); {@link #available} says whether it can work.
 */
public final class SmallDisk implements AutoCloseable {

  private final Process holder;
  private final Path mountPoint;

  private SmallDisk(Process holder, Path mountPoint) {
    this.holder = holder;
    this.mountPoint = mountPoint;
  }

  /** Null when mounting can work here, else why not. */
  public static String unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "mounting a tmpfs needs root; this test runs as " + System.getProperty("user.name");
    }
    for (String tool : List.of("unshare", "nsenter", "mount")) {
      boolean found = false;
      for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
        found |= Files.isExecutable(Path.of(dir, tool));
      }
      if (!found) {
        return tool + " (util-linux) is not on the PATH";
      }
    }
    return null;
  }

  /** Mounts a tmpfs of {@code bytes} at {@code mountPoint} (created if missing). */
  public static SmallDisk mount(Path mountPoint, long bytes) throws IOException {
    Path dir = mountPoint.toAbsolutePath();
    Files.createDirectories(dir);
    Process p =
        new ProcessBuilder(
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                "mount -t tmpfs -o size="
                    + (bytes / 1024)
                    + "k tmpfs '"
                    + dir
                    + "' && echo mounted && exec sleep 3600")
            .redirectErrorStream(true)
            .start();
    var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = in.readLine();
    if (!"mounted".equals(line)) {
      p.destroyForcibly();
      throw new IOException("cannot mount a tmpfs at " + dir + ": " + line);
    }
    return new SmallDisk(p, dir);
  }

  /**
   * Where the test reads and writes the disk: {@code relative} under the mount, as the holder sees
   * it.
   */
  public Path path(String relative) {
    Path inside = relative.isEmpty() ? mountPoint : mountPoint.resolve(relative);
    return Path.of("/proc/" + holder.pid() + "/root" + inside);
  }

  /** The mount point as a process started with {@link #enter} sees it. */
  public Path mountPoint() {
    return mountPoint;
  }

  /** {@code command} prefixed to run inside the disk's mount namespace. */
  public List<String> enter(List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", "" + holder.pid(), "-m", "--"));
    cmd.addAll(command);
    return cmd;
  }

  /** Free bytes on the disk. */
  public long free() {
    return path("").toFile().getUsableSpace();
  }

  /**
   * Fills the disk with a ballast file until {@code leave} bytes are free (0: until the disk
   * refuses a write); returns the ballast, which the test deletes to free the space again.
   */
  public Path fill(String name, long leave) throws IOException {
    Path ballast = path(name);
    byte[] block = new byte[64 * 1024];
    try (var out = Files.newOutputStream(ballast)) {
      while (true) {
        long free = free();
        if (leave > 0 && free <= leave) {
          break;
        }
        int n = (int) Math.min(block.length, leave > 0 ? free - leave : block.length);
        out.write(block, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      if (leave > 0 || !String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
    }
    return ballast;
  }

  @Override
  public void close() {
    holder.destroyForcibly();
    try {
      holder.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
