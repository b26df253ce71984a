package dev.actorfarm.runtime.pack;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model pack on disk: its directory and its parsed, validated manifest. Format 1 manifests are
 * read leniently as they always were; format 2 manifests are read strictly (an unknown key is an
 * error) and their stages are cross-checked ({@link PackChecks}).
 */
public record ModelPack(Path dir, PackManifest manifest) {

  /** File name of the manifest inside a pack directory. */
  public static final String MANIFEST = "model-pack.json";

  /** The value of a stage's {@code from} that borrows the farm's reference stage. */
  public static final String FROM_REFERENCE = "reference";

  private static final ObjectMapper LENIENT =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Loads and validates the pack in {@code dir}; a stage may not borrow the reference's. */
  public static ModelPack load(Path dir) throws IOException {
    return load(dir, null);
  }

  /**
   * Loads and validates the pack in {@code dir}. A format 2 stage that says {@code "from":
   * "reference"} is the reference pack's stage, read from {@code referenceDir}.
   */
  public static ModelPack load(Path dir, Path referenceDir) throws IOException {
    PackManifest m = parse(dir);
    if (m.formatVersion() >= 2) {
      m = borrowReference(dir, m, referenceDir);
    }
    ModelPack pack = new ModelPack(dir, m);
    List<String> problems = PackChecks.problems(pack);
    if (!problems.isEmpty()) {
      throw new IOException("model pack " + dir + ": " + problems.get(0));
    }
    return pack;
  }

  /**
   * Reads the manifest of the pack in {@code dir} as it is written (format 2 strictly), without
   * checking it against its files or borrowing the reference's stages.
   */
  public static PackManifest parse(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new IOException("no " + MANIFEST + " in model pack directory " + dir);
    }
    JsonNode tree;
    try {
      tree = LENIENT.readTree(manifestFile.toFile());
    } catch (JsonProcessingException e) {
      throw new IOException(
          "model pack " + dir + ": " + MANIFEST + " is not JSON: " + e.getOriginalMessage());
    }
    int format = tree.path("formatVersion").asInt(-1);
    if (format < 1 || format > PackManifest.FORMAT_VERSION) {
      throw new IOException(
          "model pack "
              + dir
              + " has format version "
              + tree.path("formatVersion")
              + ", this farm reads 1 to "
              + PackManifest.FORMAT_VERSION);
    }
    PackManifest m;
    try {
      m = (format == 1 ? LENIENT : STRICT).treeToValue(tree, PackManifest.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IOException(
          "model pack "
              + dir
              + ": unknown key '"
              + e.getPropertyName()
              + "' at "
              + path(e)
              + " (known there: "
              + e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList()
              + ")");
    } catch (JsonMappingException e) {
      throw new IOException(
          "model pack " + dir + ": bad value at " + path(e) + ": " + e.getOriginalMessage());
    }
    return m;
  }

  private static String path(JsonMappingException e) {
    String p =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return p.isEmpty() ? "the top level" : p;
  }

  /** Replaces the stages that say {@code from: reference} by the reference pack's. */
  private static PackManifest borrowReference(Path dir, PackManifest m, Path referenceDir)
      throws IOException {
    boolean audio = m.audioEncoder() != null && FROM_REFERENCE.equals(m.audioEncoder().from());
    boolean motion =
        m.motionGenerator() != null && FROM_REFERENCE.equals(m.motionGenerator().from());
    for (String from :
        new String[] {
          m.audioEncoder() == null ? null : m.audioEncoder().from(),
          m.motionGenerator() == null ? null : m.motionGenerator().from()
        }) {
      if (from != null && !FROM_REFERENCE.equals(from)) {
        throw new IOException(
            "model pack " + dir + ": unknown stage source from='" + from + "' (only 'reference')");
      }
    }
    if (!audio && !motion) {
      return m;
    }
    if (referenceDir == null) {
      throw new IOException(
          "model pack " + dir + " borrows the reference pack's stages; load it through the farm");
    }
    PackManifest ref = load(referenceDir).manifest();
    PackManifest.AudioEncoder a = m.audioEncoder();
    if (audio) {
      PackManifest.AudioEncoder r = ref.audioEncoder();
      a =
          new PackManifest.AudioEncoder(
              FROM_REFERENCE,
              referenceDir.resolve(r.file()).toAbsolutePath().toString(),
              r.sampleRate(),
              r.hopSamples(),
              r.lookBehindSamples(),
              r.lookAheadSamples(),
              r.featureDim(),
              r.inputs(),
              r.outputs());
    }
    PackManifest.MotionGenerator g = m.motionGenerator();
    if (motion) {
      PackManifest.MotionGenerator r = ref.motionGenerator();
      g =
          new PackManifest.MotionGenerator(
              FROM_REFERENCE,
              referenceDir.resolve(r.file()).toAbsolutePath().toString(),
              r.windowFrames(),
              r.contextFrames(),
              r.motionDim(),
              r.motionChannels(),
              r.restPose(),
              r.controls(),
              r.sampler(),
              r.steps(),
              r.guidance(),
              r.inputs(),
              r.outputs(),
              r.layout(),
              r.diffusion());
    }
    // A borrowed stage runs at the reference's rate: the pack's rate must be the same.
    if (m.fps() != ref.fps()) {
      throw new IOException(
          "model pack "
              + dir
              + " borrows the reference stages, which run at "
              + ref.fps()
              + " fps, but declares fps "
              + m.fps());
    }
    return new PackManifest(
        m.formatVersion(),
        m.name(),
        m.version(),
        m.description(),
        m.fps(),
        a,
        g,
        m.sourceEncoder(),
        m.renderer(),
        m.models(),
        m.liveportrait());
  }

  /** Writes {@code manifest} into {@code dir}. */
  public static void writeManifest(Path dir, PackManifest manifest) throws IOException {
    LENIENT.writeValue(dir.resolve(MANIFEST).toFile(), manifest);
  }

  /** The pack's id: {@code name@version}. */
  public String id() {
    return manifest.name() + "@" + manifest.version();
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** The declared model file {@code id} of a format 2 pack, or null. */
  public PackManifest.ModelFile model(String id) {
    return manifest.models() == null ? null : manifest.models().get(id);
  }

  /**
   * Every ONNX file of the pack by stage or model id, with its declared inputs and outputs: the
   * format 1 stages (their role maps as lists) and the format 2 models. A file name is relative to
   * the pack, or absolute for a borrowed stage.
   */
  public Map<String, PackManifest.ModelFile> declaredFiles() {
    PackManifest m = manifest;
    Map<String, PackManifest.ModelFile> out = new LinkedHashMap<>();
    if (m.audioEncoder() != null) {
      out.put(
          "audioEncoder",
          stage(m.audioEncoder().file(), m.audioEncoder().inputs(), m.audioEncoder().outputs()));
    }
    if (m.motionGenerator() != null) {
      out.put(
          "motionGenerator",
          stage(
              m.motionGenerator().file(),
              m.motionGenerator().inputs(),
              m.motionGenerator().outputs()));
    }
    if (m.sourceEncoder() != null) {
      out.put(
          "sourceEncoder",
          stage(m.sourceEncoder().file(), m.sourceEncoder().inputs(), m.sourceEncoder().outputs()));
    }
    if (m.renderer() != null) {
      out.put(
          "renderer", stage(m.renderer().file(), m.renderer().inputs(), m.renderer().outputs()));
    }
    if (m.models() != null) {
      out.putAll(m.models());
    }
    return out;
  }

  private static PackManifest.ModelFile stage(
      String file,
      Map<String, PackManifest.TensorSpec> inputs,
      Map<String, PackManifest.TensorSpec> outputs) {
    return new PackManifest.ModelFile(
        file,
        null,
        null,
        inputs == null ? List.of() : new ArrayList<>(inputs.values()),
        outputs == null ? List.of() : new ArrayList<>(outputs.values()));
  }

  /** True when {@code m} takes a stage from the farm's reference pack ({@code from} is set). */
  public static boolean borrows(PackManifest m) {
    return (m.audioEncoder() != null && m.audioEncoder().from() != null)
        || (m.motionGenerator() != null && m.motionGenerator().from() != null);
  }
}
