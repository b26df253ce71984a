package dev.actorfarm.pack;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.tribuo.util.onnx.ONNXAttribute;
import org.tribuo.util.onnx.ONNXOperator;

/**
 * The ONNX operators (default domain, opset 17) the reference pack's graphs use, declared for
 * Tribuo's graph builder. Tribuo ships a handful of operators for its own models; the signal (STFT)
 * and image (GridSample) operators are declared here through its operator interface.
 */
enum OnnxOp implements ONNXOperator {
  ABS("Abs", 1),
  ADD("Add", 2),
  CAST("Cast", 1, 0, attr("to", AttributeType.INT, true)),
  CLIP("Clip", 1, 2),
  CONCAT("Concat", ONNXAttribute.VARIADIC_INPUT, 0, attr("axis", AttributeType.INT, true)),
  COS("Cos", 1),
  DIV("Div", 2),
  ERF("Erf", 1),
  EXP("Exp", 1),
  EXPAND("Expand", 2),
  GATHER("Gather", 2, 0, attr("axis", AttributeType.INT, false)),
  GREATER("Greater", 2),
  GRID_SAMPLE(
      "GridSample",
      2,
      0,
      attr("align_corners", AttributeType.INT, false),
      attr("mode", AttributeType.STRING, false),
      attr("padding_mode", AttributeType.STRING, false)),
  /** GridSample as opset 20 defines it: 4-D or 5-D input, mode "linear", "nearest" or "cubic". */
  GRID_SAMPLE_20(
      "GridSample",
      2,
      0,
      attr("align_corners", AttributeType.INT, false),
      attr("mode", AttributeType.STRING, false),
      attr("padding_mode", AttributeType.STRING, false)),
  IDENTITY("Identity", 1),
  LESS("Less", 2),
  LESS_OR_EQUAL("LessOrEqual", 2),
  LOG("Log", 1),
  MATMUL("MatMul", 2),
  MAX("Max", ONNXAttribute.VARIADIC_INPUT),
  MIN("Min", ONNXAttribute.VARIADIC_INPUT),
  MUL("Mul", 2),
  NEG("Neg", 1),
  POW("Pow", 2),
  REDUCE_MEAN(
      "ReduceMean",
      1,
      0,
      attr("axes", AttributeType.INTS, false),
      attr("keepdims", AttributeType.INT, false)),
  REDUCE_SUM("ReduceSum", 1, 1, attr("keepdims", AttributeType.INT, false)),
  RELU("Relu", 1),
  RESHAPE("Reshape", 2),
  SHAPE("Shape", 1),
  SIGMOID("Sigmoid", 1),
  SIN("Sin", 1),
  SLICE("Slice", 3, 2),
  SQRT("Sqrt", 1),
  STFT("STFT", 2, 2, attr("onesided", AttributeType.INT, false)),
  SUB("Sub", 2),
  TANH("Tanh", 1),
  TRANSPOSE("Transpose", 1, 0, attr("perm", AttributeType.INTS, false)),
  UNSQUEEZE("Unsqueeze", 2),
  WHERE("Where", 3);

  /** The opset every reference graph is built against (STFT needs 17). */
  static final int OPSET = 17;

  private final String opName;
  private final int numInputs;
  private final int numOptionalInputs;
  private final Map<String, ONNXAttribute> attributes;

  OnnxOp(String opName, int numInputs) {
    this(opName, numInputs, 0);
  }

  OnnxOp(String opName, int numInputs, int numOptionalInputs, ONNXAttribute... attributes) {
    this.opName = opName;
    this.numInputs = numInputs;
    this.numOptionalInputs = numOptionalInputs;
    Map<String, ONNXAttribute> map = new HashMap<>();
    for (ONNXAttribute a : attributes) {
      map.put(a.getName(), a);
    }
    this.attributes = Collections.unmodifiableMap(map);
  }

  private static ONNXAttribute attr(String name, AttributeType type, boolean mandatory) {
    return new ONNXAttribute(name, type, mandatory);
  }

  @Override
  public String getOpName() {
    return opName;
  }

  @Override
  public int getNumInputs() {
    return numInputs;
  }

  @Override
  public int getNumOptionalInputs() {
    return numOptionalInputs;
  }

  @Override
  public int getNumOutputs() {
    return 1;
  }

  @Override
  public Map<String, ONNXAttribute> getAttributes() {
    return attributes;
  }

  @Override
  public Set<String> getMandatoryAttributeNames() {
    return attributes.values().stream()
        .filter(ONNXAttribute::isMandatory)
        .map(ONNXAttribute::getName)
        .collect(Collectors.toSet());
  }

  @Override
  public int getOpVersion() {
    return OPSET;
  }

  @Override
  public String getOpDomain() {
    return "";
  }
}
