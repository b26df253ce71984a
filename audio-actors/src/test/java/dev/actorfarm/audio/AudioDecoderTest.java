package dev.actorfarm.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AudioDecoderTest {

  static Path fixture(String name) throws Exception {
    return Path.of(AudioDecoderTest.class.getResource("/audio/" + name).toURI());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "speech-44k-stereo.wav",
        "speech.mp3",
        "speech.flac",
        "speech.opus.ogg",
        "speech.m4a"
      })
  void decodesEveryCommonFormatToMono16k(String name) throws Exception {
    // Given the same 1.37 s of speech in five containers, codecs, rates and channel counts
    Path file = fixture(name);
    double[] energy = {0};
    int[] chunks = {0};
    // When it is decoded as a stream at 16 kHz mono
    long samples =
        AudioDecoder.decode(
            file,
            16_000,
            buf -> {
              chunks[0]++;
              while (buf.hasRemaining()) {
                float v = buf.get();
                energy[0] += v * v;
              }
            });
    // Then the duration is the speech's (codec padding aside) and there is signal
    assertThat(samples / 16_000.0).isCloseTo(1.37, within(0.08));
    assertThat(chunks[0]).isGreaterThan(5);
    assertThat(Math.sqrt(energy[0] / samples)).isGreaterThan(0.01);
    AudioDecoder.Probe probe = AudioDecoder.probe(file);
    assertThat(probe.durationSeconds()).isCloseTo(1.37, within(0.1));
  }

  @Test
  void refusesWhatIsNotAudio(@TempDir Path dir) throws Exception {
    Path noise = dir.resolve("noise.mp3");
    byte[] bytes = new byte[4096];
    new java.util.Random(1).nextBytes(bytes);
    Files.write(noise, bytes);
    assertThatThrownBy(() -> AudioDecoder.probe(noise)).isInstanceOf(java.io.IOException.class);
    Path text = dir.resolve("notes.wav");
    Files.writeString(text, "this is not a wave file");
    assertThatThrownBy(() -> AudioDecoder.decode(text, 16_000, b -> {}))
        .isInstanceOf(java.io.IOException.class);
  }
}
