package dev.actorfarm.pack;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXNode;
import org.tribuo.util.onnx.ONNXRef;

/**
 * A small fluent layer over Tribuo's {@link ONNXContext}: operators by name, constants, and the
 * model's typed inputs and outputs (Tribuo declares only 2-D float placeholders, so the graph's
 * inputs and outputs are declared here and the last node of each output is renamed to it).
 */
final class Graph {

  private final ONNXContext ctx = new ONNXContext();
  private final Map<String, TensorSpec> inputs = new LinkedHashMap<>();
  private final Map<String, ONNXRef<?>> outputs = new LinkedHashMap<>();
  private final Map<String, TensorSpec> outputSpecs = new LinkedHashMap<>();
  private final int opset;
  private int counter;

  Graph(String name) {
    this(name, OnnxOp.OPSET);
  }

  /** A graph read with the default domain's {@code opset}. */
  Graph(String name, int opset) {
    ctx.setName(name);
    this.opset = opset;
  }

  /**
   * A graph input; its value is referenced by name. A float16 input is cast to float32 on entry, so
   * the graph's body is float32 (an int64 input, such as indices, is passed as it is).
   */
  ONNXRef<?> input(TensorSpec spec) {
    inputs.put(spec.name(), spec);
    ONNXRef<?> in = ctx.floatInput(spec.name(), 1);
    return "float16".equals(spec.dtype())
        ? op(OnnxOp.CAST, Map.of("to", TensorProto.DataType.FLOAT.getNumber()), in)
        : in;
  }

  /** A graph output; a float16 output is cast from the float32 body. */
  void output(TensorSpec spec, ONNXRef<?> value) {
    ONNXRef<?> v =
        "float16".equals(spec.dtype())
            ? op(OnnxOp.CAST, Map.of("to", TensorProto.DataType.FLOAT16.getNumber()), value)
            : op(OnnxOp.IDENTITY, value);
    outputs.put(spec.name(), v);
    outputSpecs.put(spec.name(), spec);
  }

  ONNXRef<?> op(OnnxOp op, ONNXRef<?>... in) {
    return op(op, Map.of(), in);
  }

  ONNXRef<?> op(OnnxOp op, Map<String, Object> attributes, ONNXRef<?>... in) {
    ONNXNode node =
        ctx.operation(
            op, Arrays.asList(in), op.getOpName().toLowerCase() + "_" + counter++, attributes);
    return node;
  }

  ONNXRef<?> add(ONNXRef<?> a, ONNXRef<?> b) {
    return op(OnnxOp.ADD, a, b);
  }

  ONNXRef<?> sub(ONNXRef<?> a, ONNXRef<?> b) {
    return op(OnnxOp.SUB, a, b);
  }

  ONNXRef<?> mul(ONNXRef<?> a, ONNXRef<?> b) {
    return op(OnnxOp.MUL, a, b);
  }

  ONNXRef<?> div(ONNXRef<?> a, ONNXRef<?> b) {
    return op(OnnxOp.DIV, a, b);
  }

  ONNXRef<?> neg(ONNXRef<?> a) {
    return op(OnnxOp.NEG, a);
  }

  ONNXRef<?> mul(ONNXRef<?> a, float b) {
    return mul(a, scalar(b));
  }

  ONNXRef<?> add(ONNXRef<?> a, float b) {
    return add(a, scalar(b));
  }

  /** {@code clip(x, lo, hi)}. */
  ONNXRef<?> clip(ONNXRef<?> x, float lo, float hi) {
    return op(OnnxOp.CLIP, x, scalar(lo), scalar(hi));
  }

  /** Slices {@code x} along {@code axis} from {@code start} (inclusive) to {@code end}. */
  ONNXRef<?> slice(ONNXRef<?> x, int axis, long start, long end) {
    return op(
        OnnxOp.SLICE,
        x,
        longs(new long[] {start}),
        longs(new long[] {end}),
        longs(new long[] {axis}));
  }

  ONNXRef<?> unsqueeze(ONNXRef<?> x, long... axes) {
    return op(OnnxOp.UNSQUEEZE, x, longs(axes));
  }

  ONNXRef<?> reshape(ONNXRef<?> x, long... shape) {
    return op(OnnxOp.RESHAPE, x, longs(shape));
  }

  ONNXRef<?> concat(int axis, ONNXRef<?>... parts) {
    return op(OnnxOp.CONCAT, Map.of("axis", axis), parts);
  }

  ONNXRef<?> scalar(float value) {
    return ctx.constant("c" + counter++, value);
  }

  ONNXRef<?> longs(long[] values) {
    return ctx.array("i" + counter++, values);
  }

  /** A float constant of the given shape (row-major values). */
  ONNXRef<?> tensor(float[] values, int... shape) {
    List<Integer> dims = new ArrayList<>();
    for (int d : shape) {
      dims.add(d);
    }
    return ctx.floatTensor("t" + counter++, dims, buf -> buf.put(values));
  }

  /** Builds the model and writes it to {@code file}. */
  void write(Path file, String docString) throws IOException {
    GraphProto built = ctx.buildGraph();
    GraphProto.Builder g = built.toBuilder().clearInput().clearOutput();
    for (TensorSpec spec : inputs.values()) {
      g.addInput(valueInfo(spec));
    }
    Map<String, String> rename = new LinkedHashMap<>();
    for (Map.Entry<String, ONNXRef<?>> e : outputs.entrySet()) {
      rename.put(e.getValue().getReference(), e.getKey());
      g.addOutput(valueInfo(outputSpecs.get(e.getKey())));
    }
    // Point the producing node of every output (and any later reader) at the output's name.
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto.Builder n = g.getNodeBuilder(i);
      for (int j = 0; j < n.getOutputCount(); j++) {
        String r = rename.get(n.getOutput(j));
        if (r != null) {
          n.setOutput(j, r);
        }
      }
      for (int j = 0; j < n.getInputCount(); j++) {
        String r = rename.get(n.getInput(j));
        if (r != null) {
          n.setInput(j, r);
        }
      }
    }
    ModelProto model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("actorfarm-reference-pack")
            .setProducerVersion("1")
            .setDocString(docString)
            .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
            .setGraph(g)
            .build();
    Files.write(file, model.toByteArray());
  }

  private static ValueInfoProto valueInfo(TensorSpec spec) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    int i = 0;
    for (long d : spec.shape()) {
      if (d < 0) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(spec.name() + "_d" + i));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
      }
      i++;
    }
    return ValueInfoProto.newBuilder()
        .setName(spec.name())
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(
                            switch (spec.dtype()) {
                              case "float16" -> TensorProto.DataType.FLOAT16.getNumber();
                              case "int64" -> TensorProto.DataType.INT64.getNumber();
                              default -> TensorProto.DataType.FLOAT.getNumber();
                            })
                        .setShape(shape)))
        .build();
  }
}
