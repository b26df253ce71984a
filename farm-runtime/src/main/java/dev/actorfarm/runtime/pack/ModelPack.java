package dev.actorfarm.runtime.pack;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A model pack on disk: its directory and its parsed, validated manifest. */
public record ModelPack(Path dir, PackManifest manifest) {

  /** File name of the manifest inside a pack directory. */
  public static final String MANIFEST = "model-pack.json";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Loads and validates the pack in {@code dir}. */
  public static ModelPack load(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new IOException("no " + MANIFEST + " in model pack directory " + dir);
    }
    PackManifest m = JSON.readValue(manifestFile.toFile(), PackManifest.class);
    if (m.formatVersion() != PackManifest.FORMAT_VERSION) {
      throw new IOException(
          "model pack "
              + dir
              + " has format version "
              + m.formatVersion()
              + ", this farm reads "
              + PackManifest.FORMAT_VERSION);
    }
    ModelPack pack = new ModelPack(dir, m);
    for (String file :
        List.of(
            m.audioEncoder().file(),
            m.motionGenerator().file(),
            m.sourceEncoder().file(),
            m.renderer().file())) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IOException("model pack " + dir + " lacks " + file + " named in its manifest");
      }
    }
    if (m.motionGenerator().restPose().size() != m.motionGenerator().motionDim()) {
      throw new IOException("model pack " + dir + ": restPose must have motionDim values");
    }
    return pack;
  }

  /** Writes {@code manifest} into {@code dir}. */
  public static void writeManifest(Path dir, PackManifest manifest) throws IOException {
    JSON.writeValue(dir.resolve(MANIFEST).toFile(), manifest);
  }

  /** The pack's id: {@code name@version}. */
  public String id() {
    return manifest.name() + "@" + manifest.version();
  }

  public Path file(String name) {
    return dir.resolve(name);
  }
}
