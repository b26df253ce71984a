package dev.actorfarm.runtime;

import com.google.protobuf.ByteString;
import dev.actorfarm.protocol.DType;
import dev.actorfarm.protocol.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Tensors on the wire: raw little-endian arrays with dtype and shape. */
public final class Tensors {

  private Tensors() {}

  /** A float32 tensor of {@code shape} holding {@code data} (row-major). */
  public static Tensor ofFloats(float[] data, long... shape) {
    long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
    }
    ByteBuffer buf = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data);
    return Tensor.newBuilder()
        .setDtype(DType.FLOAT32)
        .addAllShape(Arrays.stream(shape).boxed().toList())
        .setData(ByteString.copyFrom(buf.array()))
        .build();
  }

  /** The values of a float32 tensor, checking dtype and size. */
  public static float[] floats(Tensor tensor) {
    if (tensor.getDtype() != DType.FLOAT32) {
      throw new IllegalArgumentException("expected a float32 tensor, got " + tensor.getDtype());
    }
    long n = tensor.getShapeList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
    if (n * Float.BYTES != tensor.getData().size()) {
      throw new IllegalArgumentException(
          "tensor of shape "
              + tensor.getShapeList()
              + " has "
              + tensor.getData().size()
              + " bytes");
    }
    float[] out = new float[(int) n];
    tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** Dimension {@code i} of a tensor. */
  public static int dim(Tensor tensor, int i) {
    return Math.toIntExact(tensor.getShape(i));
  }
}
