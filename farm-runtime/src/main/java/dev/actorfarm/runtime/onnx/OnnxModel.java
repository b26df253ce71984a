package dev.actorfarm.runtime.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest.ModelFile;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX file of a pack, run the way its manifest declares it: inputs fed by name (the role's
 * declared name), outputs bound by name and returned by role, never by position; float16 inputs and
 * outputs converted from and to float32 as the file's own types say. {@link #problems} compares the
 * file's real signature with the declaration.
 */
public final class OnnxModel implements AutoCloseable {

  private final String label;
  private final OrtSession session;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final Map<String, OnnxJavaType> types = new LinkedHashMap<>();

  private OnnxModel(
      String label, OrtSession session, List<TensorSpec> inputs, List<TensorSpec> outputs)
      throws OrtException {
    this.label = label;
    this.session = session;
    this.inputs = inputs;
    this.outputs = outputs;
    for (var e : session.getInputInfo().entrySet()) {
      types.put(e.getKey(), javaType(e.getValue()));
    }
    for (var e : session.getOutputInfo().entrySet()) {
      types.put(e.getKey(), javaType(e.getValue()));
    }
  }

  /**
   * Opens model {@code id} of {@code pack}; refuses a file whose signature is not the declared one
   * with the first difference.
   */
  public static OnnxModel open(ModelPack pack, String id, String executionProvider, int threads)
      throws IOException {
    ModelFile f = pack.model(id);
    if (f == null) {
      throw new IOException("model pack " + pack.id() + " declares no model '" + id + "'");
    }
    return open(pack.file(f.file()), id, f.inputs(), f.outputs(), executionProvider, threads);
  }

  /** Opens {@code file} with its declared inputs (in order) and outputs. */
  public static OnnxModel open(
      Path file,
      String label,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      String executionProvider,
      int threads)
      throws IOException {
    OrtSession s;
    try {
      s = OnnxSessions.open(file, executionProvider, threads);
    } catch (OrtException e) {
      throw new IOException(label + ": ONNX Runtime cannot load " + file + ": " + e.getMessage());
    }
    try {
      List<String> problems = problems(s, label, inputs, outputs);
      if (!problems.isEmpty()) {
        throw new IOException(problems.get(0));
      }
      return new OnnxModel(label, s, inputs, outputs);
    } catch (OrtException | IOException | RuntimeException e) {
      try {
        s.close();
      } catch (OrtException ignored) {
        // the first failure is the one to report
      }
      throw e instanceof IOException io ? io : new IOException(label + ": " + e.getMessage());
    }
  }

  /** Differences between the declaration and the file's real signature, one line each. */
  public static List<String> problems(
      OrtSession s, String label, List<TensorSpec> inputs, List<TensorSpec> outputs)
      throws OrtException {
    return problems(s, label, inputs, outputs, true);
  }

  /**
   * As above; {@code ordered} also compares the order of the inputs (format 1 manifests declare
   * roles in a map, whose order means nothing).
   */
  public static List<String> problems(
      OrtSession s,
      String label,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      boolean ordered)
      throws OrtException {
    List<String> p = new ArrayList<>();
    Map<String, NodeInfo> realIn = s.getInputInfo();
    Map<String, NodeInfo> realOut = s.getOutputInfo();
    List<String> declaredOrder = inputs.stream().map(TensorSpec::name).toList();
    for (TensorSpec t : inputs) {
      compare(label, "input", t, realIn.get(t.name()), realIn.keySet(), p);
    }
    List<String> realOrder = new ArrayList<>(realIn.keySet());
    if (ordered && p.isEmpty() && !realOrder.equals(declaredOrder)) {
      p.add(label + ": inputs are declared " + declaredOrder + " but the file takes " + realOrder);
    }
    for (TensorSpec t : outputs) {
      compare(label, "output", t, realOut.get(t.name()), realOut.keySet(), p);
    }
    return p;
  }

  private static void compare(
      String label,
      String kind,
      TensorSpec declared,
      NodeInfo real,
      java.util.Set<String> names,
      List<String> p) {
    if (real == null) {
      p.add(
          label + ": no " + kind + " named '" + declared.name() + "' (the file has " + names + ")");
      return;
    }
    if (!(real.getInfo() instanceof TensorInfo info)) {
      p.add(label + ": " + kind + " '" + declared.name() + "' is not a tensor");
      return;
    }
    String dtype = dtype(info.type);
    if (!dtype.equals(declared.dtype())) {
      p.add(
          label
              + ": "
              + kind
              + " '"
              + declared.name()
              + "' is "
              + dtype
              + " in the file, declared "
              + declared.dtype());
      return;
    }
    long[] shape = info.getShape();
    List<Long> want = declared.shape();
    boolean fits = want != null && want.size() == shape.length;
    for (int i = 0; fits && i < shape.length; i++) {
      fits = shape[i] < 0 || want.get(i) < 0 || shape[i] == want.get(i);
    }
    if (!fits) {
      p.add(
          label
              + ": "
              + kind
              + " '"
              + declared.name()
              + "' has shape "
              + Arrays.toString(shape)
              + " in the file, declared "
              + want);
    }
  }

  private static String dtype(OnnxJavaType t) {
    return switch (t) {
      case FLOAT -> "float32";
      case FLOAT16 -> "float16";
      default -> t.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static OnnxJavaType javaType(NodeInfo n) {
    return n.getInfo() instanceof TensorInfo t ? t.type : OnnxJavaType.UNKNOWN;
  }

  /**
   * The opsets a model file imports, by domain ("" is the default domain), read from the model's
   * header without parsing its graph.
   */
  public static Map<String, Long> opsets(Path file) throws IOException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream c = CodedInputStream.newInstance(in);
      c.setSizeLimit(Integer.MAX_VALUE);
      int tag;
      while ((tag = c.readTag()) != 0) {
        if (WireFormat.getTagFieldNumber(tag) == 8) {
          int limit = c.pushLimit(c.readRawVarint32());
          String domain = "";
          long version = 0;
          int t;
          while ((t = c.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(t)) {
              case 1 -> domain = c.readString();
              case 2 -> version = c.readInt64();
              default -> c.skipField(t);
            }
          }
          c.popLimit(limit);
          out.put(domain, version);
        } else {
          c.skipField(tag);
        }
      }
    }
    return out;
  }

  /**
   * Runs the model on {@code values} and {@code shapes}, both keyed by input role, and returns
   * every output by role.
   */
  public Map<String, float[]> run(Map<String, float[]> values, Map<String, long[]> shapes)
      throws OrtException {
    Map<String, OnnxTensor> in = new LinkedHashMap<>();
    try {
      for (TensorSpec t : inputs) {
        float[] v = values.get(t.roleName());
        if (v == null) {
          throw new OrtException(label + ": no value for input role '" + t.roleName() + "'");
        }
        in.put(t.name(), tensor(t.name(), v, shapes.get(t.roleName())));
      }
      try (OrtSession.Result r = session.run(in)) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (TensorSpec t : outputs) {
          OnnxTensor o = (OnnxTensor) r.get(t.name()).orElseThrow();
          out.put(t.roleName(), values(o));
        }
        return out;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * A tensor for input {@code name}, in the file's own dtype (float32, float16, or int64 for
   * integral inputs such as a denoiser's timesteps, rounded).
   */
  public OnnxTensor tensor(String name, float[] v, long[] shape) throws OrtException {
    var env = OnnxSessions.environment();
    if (types.get(name) == OnnxJavaType.INT64) {
      long[] l = new long[v.length];
      for (int i = 0; i < v.length; i++) {
        l[i] = Math.round(v[i]);
      }
      return OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(l), shape);
    }
    if (types.get(name) == OnnxJavaType.FLOAT16) {
      ShortBuffer half = Fp16Conversions.convertFloatBufferToFp16Buffer(FloatBuffer.wrap(v));
      return OnnxTensor.createTensor(env, half, shape, OnnxJavaType.FLOAT16);
    }
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
  }

  /** The declared inputs, in the file's order. */
  public List<TensorSpec> inputs() {
    return inputs;
  }

  /** The declared output of {@code role}. */
  public TensorSpec output(String role) {
    return outputs.stream().filter(t -> t.roleName().equals(role)).findFirst().orElseThrow();
  }

  /** True when the file's tensor {@code name} is float32 (it can be written in place). */
  public boolean outputIsFloat32(String name) {
    return types.get(name) == OnnxJavaType.FLOAT;
  }

  /** A result tensor's values as float32, whether it is float32 or float16. */
  public static float[] values(OnnxTensor t) {
    FloatBuffer b =
        t.getInfo().type == OnnxJavaType.FLOAT16
            ? Fp16Conversions.convertFp16BufferToFloatBuffer(t.getShortBuffer())
            : t.getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  /** The declared input of {@code role}. */
  public TensorSpec input(String role) {
    return inputs.stream().filter(t -> t.roleName().equals(role)).findFirst().orElseThrow();
  }

  public OrtSession session() {
    return session;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
