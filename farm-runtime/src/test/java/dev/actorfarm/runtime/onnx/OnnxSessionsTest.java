package dev.actorfarm.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxSessionsTest {

  @TempDir Path dir;

  /** A model header that imports the default domain at {@code opset} (field 8, OperatorSetId). */
  Path header(String name, long opset) throws Exception {
    ByteArrayOutputStream id = new ByteArrayOutputStream();
    CodedOutputStream c = CodedOutputStream.newInstance(id);
    c.writeString(1, "");
    c.writeInt64(2, opset);
    c.flush();
    ByteArrayOutputStream model = new ByteArrayOutputStream();
    CodedOutputStream m = CodedOutputStream.newInstance(model);
    m.writeInt64(1, 8);
    m.writeBytes(8, ByteString.copyFrom(id.toByteArray()));
    m.flush();
    Path f = dir.resolve(name);
    Files.write(f, model.toByteArray());
    return f;
  }

  @Test
  void cudaBeforeOnePointTwentyFiveIsRefusedForOpsetTwentyModelsOnly() throws Exception {
    Path warp = header("warping_spade.onnx", 20);
    Path mlp = header("stitching.onnx", 16);
    assertThat(OnnxModel.opsets(warp)).containsEntry("", 20L);
    assertThat(OnnxSessions.cudaRefusal("1.24.3", warp))
        .contains("warping_spade.onnx (opset 20)")
        .contains("ONNX Runtime 1.24.3")
        .contains("1.25 or later");
    assertThat(OnnxSessions.cudaRefusal("1.24.3", mlp)).isNull();
    assertThat(OnnxSessions.cudaRefusal("1.25.0", warp)).isNull();
    assertThat(OnnxSessions.cudaRefusal("1.29.0", warp)).isNull();
    assertThat(OnnxSessions.cudaRefusal("2.0.0", warp)).isNull();
    assertThat(OnnxSessions.cudaRefusal("0.9.1", warp)).isNotNull();
  }
}
