package dev.actorfarm.runtime.blob;

import dev.actorfarm.protocol.BlobRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * The farm's store of large payloads (portraits, audio, segments, outputs): a directory, shared by
 * every node of a cluster (a volume or a mounted object store). Every write lands under a temporary
 * name and is renamed into place, so a reader never sees a partial file and a writer that dies
 * leaves nothing at the final path.
 */
public final class BlobStore {

  /** URI scheme of blobs: {@code blob:<relative path>}. */
  public static final String SCHEME = "blob:";

  /** The name prefix of a blob being written, before its rename into place. */
  private static final String TMP_PREFIX = ".tmp-";

  private final Path root;
  private final long minFree;

  public BlobStore(Path root) {
    this(root, 0);
  }

  /**
   * A store that starts no write while its disk has less than {@code minFree} bytes free ({@link
   * DiskSpace}).
   */
  public BlobStore(Path root, long minFree) {
    this.root = root.toAbsolutePath().normalize();
    this.minFree = minFree;
    try {
      Files.createDirectories(this.root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create blob store " + root, e);
    }
  }

  public Path root() {
    return root;
  }

  /** Writes a blob by calling {@code writer} on a temporary file, then renames it into place. */
  public BlobRef write(String relativePath, IoWriter writer) throws IOException {
    Path target = path(relativePath);
    requireSpace();
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), TMP_PREFIX, "-" + target.getFileName());
      try {
        writer.write(tmp);
        moveAtomically(tmp, target);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw DiskSpace.classify(e, root);
    }
    return ref(relativePath);
  }

  /**
   * Throws {@link DiskSpace.DiskFullException} while the store's disk has less than its reserve
   * free: for writers outside {@link #write} (the muxer's growing output).
   */
  public void requireSpace() throws DiskSpace.DiskFullException {
    DiskSpace.require(root, minFree);
  }

  /** Copies a local file into the store, content-addressed under {@code prefix}. */
  public BlobRef importFile(Path source, String prefix) throws IOException {
    String hash = sha256(source);
    String name = source.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String ext = dot > 0 ? name.substring(dot).toLowerCase(java.util.Locale.ROOT) : "";
    String rel = prefix + "/" + hash + ext;
    if (!Files.exists(path(rel))) {
      write(rel, tmp -> Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING));
    }
    return BlobRef.newBuilder()
        .setUri(SCHEME + rel)
        .setSha256(hash)
        .setSize(Files.size(source))
        .build();
  }

  /** The reference of an existing blob, with its size and content hash. */
  public BlobRef ref(String relativePath) throws IOException {
    Path p = path(relativePath);
    return BlobRef.newBuilder()
        .setUri(SCHEME + relativePath)
        .setSha256(sha256(p))
        .setSize(Files.size(p))
        .build();
  }

  /** The local path of a blob URI. */
  public Path resolve(String uri) {
    if (!uri.startsWith(SCHEME)) {
      throw new IllegalArgumentException("not a blob URI: " + uri);
    }
    return path(uri.substring(SCHEME.length()));
  }

  /** The local path of a blob, checking that its content still matches the reference. */
  public Path open(BlobRef ref) throws IOException {
    Path p = resolve(ref.getUri());
    if (!Files.isRegularFile(p)) {
      throw new IOException("blob " + ref.getUri() + " is missing from the blob store");
    }
    return p;
  }

  /**
   * How many finished blobs named {@code *suffix} a folder holds (0 when it does not exist): blobs
   * still being written, under their temporary names, do not count.
   */
  public int count(String folder, String suffix) throws IOException {
    Path p = path(folder);
    if (!Files.isDirectory(p)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(p)) {
      return (int)
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.endsWith(suffix) && !n.startsWith(TMP_PREFIX))
              .count();
    }
  }

  /**
   * Deletes the temporary files under {@code folder} (blobs that were being written when their
   * writer died: a killed render node's segment, a moved mux entity's partial output); returns how
   * many. For a folder nobody writes any more, such as a completed job's.
   */
  public int deleteTemporaries(String folder) throws IOException {
    Path p = path(folder);
    if (!Files.isDirectory(p)) {
      return 0;
    }
    int n = 0;
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.filter(f -> f.getFileName().toString().startsWith(TMP_PREFIX)).toList()) {
        if (Files.deleteIfExists(q)) {
          n++;
        }
      }
    }
    return n;
  }

  /** Deletes a blob folder and everything under it. */
  public void deleteTree(String relativePath) throws IOException {
    Path p = path(relativePath);
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  private Path path(String relativePath) {
    Path p = root.resolve(relativePath).normalize();
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException("blob path escapes the store: " + relativePath);
    }
    return p;
  }

  /** Renames {@code tmp} onto {@code target} atomically where the file system allows it. */
  public static void moveAtomically(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Hex SHA-256 of a file's content. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Writes a file. */
  @FunctionalInterface
  public interface IoWriter {
    void write(Path tmp) throws IOException;
  }
}
