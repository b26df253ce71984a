package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.TestBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * With a bootstrap address configured, the farm uses that Kafka and starts no broker of its own.
 */
class ExternalKafkaTest {

  @TempDir Path dir;

  @Test
  void renderRunsAgainstAnExternalBroker() throws Exception {
    try (TestBroker external = new TestBroker(dir.resolve("external"))) {
      String bootstrap = external.kafka().bootstrapServers();
      System.setProperty("actorfarm.kafka.bootstrap-servers", bootstrap);
      ConfigFactory.invalidateCaches();
      try {
        Path speech = Path.of(ExternalKafkaTest.class.getResource("/Front_Center.wav").toURI());
        Path data = dir.resolve("data");
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Farm());
        cli.setErr(new PrintWriter(err, true));
        int code =
            cli.execute(
                "render",
                "--portrait",
                "../examples/astronaut.png",
                "--audio",
                speech.toString(),
                "--out",
                dir.resolve("out.mp4").toString(),
                "--data-dir",
                data.toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.exists(data.resolve("kafka"))).as("no embedded broker").isFalse();
        assertThat(external.readAll(Topics.JOB_EVENTS))
            .anyMatch(e -> e.getValue().getState() == JobState.COMPLETED);
        long samples =
            dev.actorfarm.audio.AudioDecoder.decode(speech, 16_000, b -> b.position(b.limit()));
        assertThat(DecodedVideo.decode(dir.resolve("out.mp4")).frames())
            .hasSize((int) Math.round(samples / 16_000.0 * 25));
      } finally {
        System.clearProperty("actorfarm.kafka.bootstrap-servers");
        ConfigFactory.invalidateCaches();
      }
    }
  }
}
