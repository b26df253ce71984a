package dev.actorfarm.launcher;

import dev.actorfarm.pack.LivePortraitTwin;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.FrameRenderer;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.SourceState;
import dev.actorfarm.render.liveportrait.LivePortraitEngine;
import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import dev.actorfarm.runtime.pack.PackManifest.ModelFile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code farm pack check DIR} and {@code farm pack twin DIR}. */
@Command(
    name = "pack",
    mixinStandardHelpOptions = true,
    description = "Check a model pack, or write the LivePortrait twin pack.",
    subcommands = {PackCommand.Check.class, PackCommand.Twin.class})
public final class PackCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** Where the reference pack that format 2 packs borrow from is kept. */
  static Path referenceDir(Path dataDir) {
    return dataDir.resolve("packs").resolve("reference");
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Print what a model pack declares, compare every ONNX file's real inputs and outputs"
              + " with its manifest, and render one window.")
  static final class Check implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "The pack's folder (with model-pack.json).")
    Path dir;

    @Option(
        names = "--portrait",
        description = "Portrait to render the test window of (default: examples/astronaut.png).")
    Path portrait = Path.of("examples", "astronaut.png");

    @Option(names = "--data-dir", description = "Where the reference pack is kept (farm-data).")
    Path dataDir = Path.of("farm-data");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ModelPack pack;
      try {
        pack = ReferencePack.load(dir, referenceDir(dataDir));
      } catch (Exception e) {
        err.println("farm pack check: " + dev.actorfarm.runtime.kafka.RoleStream.describe(e));
        return 2;
      }
      describe(pack, out);
      List<String> problems = new ArrayList<>();
      for (var e : pack.declaredFiles().entrySet()) {
        String id = e.getKey();
        ModelFile model = e.getValue();
        // Format 2 model files declare their inputs in order; format 1 stages in a role map.
        boolean ordered = pack.model(id) != null;
        try (var session = OnnxSessions.open(pack.file(model.file()), "cpu", 1)) {
          int before = problems.size();
          problems.addAll(
              OnnxModel.problems(session, id, model.inputs(), model.outputs(), ordered));
          Integer opset = model.opset();
          Long real = OnnxModel.opsets(pack.file(model.file())).get("");
          if (opset != null && real != null && real.longValue() != opset) {
            problems.add(id + ": the file imports opset " + real + ", declared " + opset);
          }
          if (problems.size() > before) {
            continue;
          }
          out.println(
              "  "
                  + id
                  + ": "
                  + model.file()
                  + " matches its declaration"
                  + (real == null ? "" : " (opset " + real + ")"));
        } catch (Exception ex) {
          problems.add(id + ": " + dev.actorfarm.runtime.kafka.RoleStream.describe(ex));
        }
      }
      if (!problems.isEmpty()) {
        err.println("farm pack check: " + problems.get(0));
        return 2;
      }
      try {
        renderOneWindow(pack, out);
      } catch (Exception e) {
        err.println(
            "farm pack check: rendering a window failed: "
                + dev.actorfarm.runtime.kafka.RoleStream.describe(e));
        return 1;
      }
      out.println("Pack " + pack.id() + " is sound.");
      return 0;
    }

    private void renderOneWindow(ModelPack pack, PrintWriter out) throws Exception {
      Mat image = Portraits.evenCrop(Portraits.read(portrait));
      PackManifest m = pack.manifest();
      int frames = m.motionGenerator().windowFrames();
      int dim = m.motionGenerator().motionDim();
      float[] motion = new float[frames * dim];
      int open =
          m.motionGenerator().motionChannels() == null
              ? -1
              : m.motionGenerator().motionChannels().indexOf("jaw_open");
      float[] rest = m.motionGenerator().restPoseValues();
      for (int i = 0; i < frames; i++) {
        System.arraycopy(rest, 0, motion, i * dim, dim);
        if (open >= 0) {
          motion[i * dim + open] = (float) (0.5 - 0.5 * Math.cos(2 * Math.PI * i / 12.5));
        }
      }
      long started;
      long took;
      if (m.motionGenerator().diffusion() != null) {
        // The pack's own generator on one window of steady speech-level features.
        try (var g = new dev.actorfarm.motion.MotionGeneratorStage(pack, "cpu", 1)) {
          float[] features = new float[frames * m.audioEncoder().featureDim()];
          java.util.Arrays.fill(features, -5f);
          started = System.nanoTime();
          motion = g.window(features, g.initialContext(), 1, 0, new float[] {1f, 1f});
          took = System.nanoTime() - started;
          out.printf(
              Locale.ROOT,
              "Generated one window of motion on the CPU (one thread): %.0f ms (%d denoiser"
                  + " calls)%n",
              took / 1e6,
              g.sampler().iterations());
        }
      }
      // Motion in the JoyVASA layout is read relative to the rest pose.
      float[] anchor =
          m.motionGenerator().motionLayout().equals(PackManifest.LAYOUT_JOYVASA) ? rest : null;
      if (m.livePortraitFamily()) {
        try (LivePortraitEngine engine = new LivePortraitEngine(pack, "cpu", 1)) {
          var source =
              engine.prepare(
                  image,
                  FaceLocator.detect(image)
                      .orElseThrow(() -> new java.io.IOException("no face in " + portrait)));
          started = System.nanoTime();
          for (int i = 0; i < frames; i++) {
            engine.render(
                source, java.util.Arrays.copyOfRange(motion, i * dim, (i + 1) * dim), anchor);
          }
          took = System.nanoTime() - started;
        }
      } else {
        try (FrameRenderer r = new FrameRenderer(pack, "cpu", 1);
            var enc = OnnxSessions.open(pack.file(m.sourceEncoder().file()), "cpu", 1)) {
          SourceState s = SourceState.build(image, null, m, enc, false);
          started = System.nanoTime();
          for (int i = 0; i < frames; i += r.maxBatch()) {
            int b = Math.min(r.maxBatch(), frames - i);
            r.render(s, java.util.Arrays.copyOfRange(motion, i * dim, (i + b) * dim), b, dim);
          }
          took = System.nanoTime() - started;
        }
      }
      out.printf(
          Locale.ROOT,
          "Rendered one window of %d frames on the CPU (one thread): %.1f ms per frame%n",
          frames,
          took / 1e6 / frames);
    }
  }

  private static void describe(ModelPack pack, PrintWriter out) {
    PackManifest m = pack.manifest();
    out.println("Pack " + pack.id() + " (format " + m.formatVersion() + ", " + m.fps() + " fps)");
    var a = m.audioEncoder();
    out.println(
        "  audio encoder: "
            + (a.from() != null ? "the reference pack's" : a.file())
            + ", "
            + a.sampleRate()
            + " Hz, "
            + a.featureDim()
            + " features per frame");
    var g = m.motionGenerator();
    out.println(
        "  motion generator: "
            + (g.from() != null ? "the reference pack's" : g.file())
            + ", "
            + g.sampler()
            + (g.diffusion() != null
                ? " ("
                    + g.steps()
                    + " steps, "
                    + g.diffusion().prediction()
                    + " prediction, "
                    + g.diffusion().schedule()
                    + " schedule, guidance "
                    + g.guidance()
                    + ")"
                : "")
            + ", windows of "
            + g.windowFrames()
            + " frames after "
            + g.contextFrames()
            + ", "
            + g.motionDim()
            + " values per frame ("
            + g.motionLayout()
            + " layout)");
    if (m.livePortraitFamily()) {
      var lp = m.liveportrait();
      out.println(
          "  LivePortrait family: crop "
              + lp.cropSize()
              + " at scale "
              + lp.cropScale()
              + ", output "
              + lp.outputSize()
              + ", stitching "
              + lp.stitching()
              + ", lip normalisation "
              + lp.normalizeLip()
              + ", eye retargeting "
              + lp.eyeRetargeting()
              + ", multiplier "
              + lp.drivingMultiplier());
    } else {
      out.println(
          "  source encoder: "
              + m.sourceEncoder().file()
              + ", crop "
              + m.sourceEncoder().cropSize());
      out.println(
          "  renderer: "
              + m.renderer().file()
              + ", "
              + m.renderer().width()
              + " × "
              + m.renderer().height()
              + ", batches of up to "
              + m.renderer().maxBatch());
    }
  }

  @Command(
      name = "twin",
      mixinStandardHelpOptions = true,
      description =
          "Write a generated twin of FasterLivePortrait's liveportrait_onnx files (their names,"
              + " shapes, dtypes and opsets; hand-set weights) with the shipped manifest template.")
  static final class Twin implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "Folder to write the pack into.")
    Path dir;

    @CommandLine.Option(
        names = "--diffusion",
        description =
            "Add a twin diffusion motion generator (one denoiser step, JoyVASA layout; DDIM with"
                + " guidance and diffusion forcing) in place of the reference motion.")
    boolean diffusion;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try {
        if (Files.exists(dir.resolve(ModelPack.MANIFEST))) {
          spec.commandLine().getErr().println("farm pack twin: " + dir + " already holds a pack");
          return 2;
        }
        if (diffusion) {
          dev.actorfarm.pack.DiffusionTwin.generatePack(dir);
        } else {
          LivePortraitTwin.generate(dir);
        }
        spec.commandLine()
            .getOut()
            .println(
                "Wrote the LivePortrait twin pack"
                    + (diffusion ? " with a twin diffusion motion generator" : "")
                    + " to "
                    + dir);
        return 0;
      } catch (Exception e) {
        spec.commandLine()
            .getErr()
            .println("farm pack twin: " + dev.actorfarm.runtime.kafka.RoleStream.describe(e));
        return 1;
      }
    }
  }
}
