package dev.actorfarm.runtime.blob;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The farm's rule for a full disk: a write that would leave less than the reserve free on its file
 * system is not started ({@link #require}), and a write the disk refused anyway ({@code ENOSPC},
 * {@code EDQUOT}) is reported as the same {@link DiskFullException}. Neither is the job's fault:
 * the stages wait for space (retrying without counting against the job) instead of failing work an
 * operator can save by freeing space. The reserve also keeps room for what the farm cannot hold
 * back (the broker's log, on the same disk in an embedded farm), so a full disk never stops the
 * broker.
 */
public final class DiskSpace {

  private DiskSpace() {}

  /** The disk holding a write is full, or would be left with less than the reserve. */
  public static final class DiskFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public DiskFullException(String message) {
      super(message);
    }

    public DiskFullException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Throws {@link DiskFullException} when the file system of {@code dir} (or of its nearest
   * existing parent) has less than {@code reserve} bytes usable; nothing when {@code reserve} is 0.
   */
  public static void require(Path dir, long reserve) throws DiskFullException {
    if (reserve <= 0) {
      return;
    }
    long usable = usable(dir);
    if (usable >= 0 && usable < reserve) {
      throw new DiskFullException(
          String.format(
              Locale.ROOT,
              "disk full: %s free on %s, below the reserve of %s (actorfarm.blob-store.min-free);"
                  + " waiting for space",
              bytes(usable),
              dir,
              bytes(reserve)));
    }
  }

  /** Usable bytes on the file system of {@code dir}, or -1 when it cannot be asked. */
  public static long usable(Path dir) {
    Path p = dir.toAbsolutePath();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    // statvfs of the path itself: Files.getFileStore would first look the mount up in this
    // process's mount table, which misses a mount seen through another namespace.
    return p == null ? -1 : p.toFile().getUsableSpace();
  }

  /**
   * {@code e} as a {@link DiskFullException} when the disk refused the write (the JDK and FFmpeg
   * report {@code ENOSPC} and {@code EDQUOT} only in their messages), else {@code e}.
   */
  public static IOException classify(IOException e, Path dir) {
    if (e instanceof DiskFullException || !isDiskFull(e)) {
      return e;
    }
    return new DiskFullException("disk full: no space left on " + dir + "; waiting for space", e);
  }

  /** FFmpeg's AVERROR(ENOSPC) and AVERROR(EDQUOT) as JavaCV's messages print them. */
  private static final java.util.regex.Pattern FFMPEG_FULL =
      java.util.regex.Pattern.compile("\\berror -(28|122)\\b");

  /** True for a disk-full failure anywhere in {@code error}'s causes. */
  public static boolean isDiskFull(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DiskFullException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null) {
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.startsWith("disk full:")
            || lower.contains("no space left on device")
            || lower.contains("disk quota exceeded")
            || FFMPEG_FULL.matcher(lower).find()) {
          return true;
        }
      }
    }
    return false;
  }

  /** Bytes in the unit an operator reads: "212 MiB". */
  public static String bytes(long n) {
    if (n < 1024 * 1024) {
      return (n / 1024) + " KiB";
    }
    if (n < 1024L * 1024 * 1024) {
      return (n / (1024 * 1024)) + " MiB";
    }
    return String.format(Locale.ROOT, "%.1f GiB", n / (1024.0 * 1024 * 1024));
  }
}
