package dev.actorfarm.launcher.api;

import dev.actorfarm.runtime.blob.BlobStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Path confinement of JSON submissions: the files a submission names must lie in the farm's blob
 * store inputs or under the allowed roots ({@code actorfarm.http.allowed-roots}), and neither
 * {@code ..} nor a symbolic link leads out of them.
 */
final class InputRoots {

  private final BlobStore blobs;
  private final List<Path> allowedRoots;

  InputRoots(BlobStore blobs, List<Path> allowedRoots) {
    this.blobs = blobs;
    this.allowedRoots = allowedRoots;
  }

  /**
   * The server path a JSON submission names: a {@code blob:inputs/...} URI of the farm's blob
   * store, or a {@code file:} URI or absolute path inside one of the configured allowed roots.
   * Nothing outside them can be read, through {@code ..} or through symbolic links.
   */
  Path resolve(String uri, String field) throws JobService.ApiException {
    Path p;
    if (uri.startsWith(BlobStore.SCHEME)) {
      String rel = uri.substring(BlobStore.SCHEME.length());
      if (!rel.startsWith("inputs/")) {
        throw ApiErrors.apiError(403, field + ": only blob:inputs/... may be named");
      }
      try {
        p = blobs.resolve(uri);
      } catch (IllegalArgumentException e) {
        throw ApiErrors.apiError(403, field + ": " + uri + " is outside the blob store");
      }
      if (!p.startsWith(blobs.root().resolve("inputs"))) {
        throw ApiErrors.apiError(403, field + ": " + uri + " is outside the blob store's inputs");
      }
      return requireFile(p, uri, field, List.of(blobs.root()));
    }
    try {
      p = uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw ApiErrors.apiError(
          400, field + ": '" + uri + "' is not a file: URI or an absolute path");
    }
    if (!p.isAbsolute()) {
      throw ApiErrors.apiError(
          400, field + ": '" + uri + "' is not a file: URI or an absolute path");
    }
    if (allowedRoots.isEmpty()) {
      throw ApiErrors.apiError(
          403,
          field
              + ": this farm reads no server files (actorfarm.http.allowed-roots is empty);"
              + " upload the file as multipart/form-data");
    }
    return requireFile(p.normalize(), uri, field, allowedRoots);
  }

  private static Path requireFile(Path p, String uri, String field, List<Path> roots)
      throws JobService.ApiException {
    if (roots.stream().noneMatch(p::startsWith)) {
      throw ApiErrors.apiError(403, field + ": " + uri + " is outside the allowed roots");
    }
    Path real;
    try {
      real = p.toRealPath();
    } catch (NoSuchFileException e) {
      throw ApiErrors.apiError(422, field + ": " + uri + " does not exist");
    } catch (IOException e) {
      throw ApiErrors.apiError(422, field + ": " + uri + " cannot be read");
    }
    if (roots.stream().noneMatch(real::startsWith)) {
      throw ApiErrors.apiError(403, field + ": " + uri + " is outside the allowed roots");
    }
    if (!Files.isRegularFile(real)) {
      throw ApiErrors.apiError(422, field + ": " + uri + " is not a file");
    }
    return real;
  }
}
