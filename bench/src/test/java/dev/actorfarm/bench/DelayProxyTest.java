package dev.actorfarm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The chaos soak's delay: bytes through a broker's relay arrive whole and in order, and while the
 * connecting process is delayed, a round trip takes at least twice the delay (each way once).
 */
class DelayProxyTest {

  @Test
  void relaysEveryByteAndHoldsADelayedProcessesTrafficBack() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket echo = new ServerSocket(0, 50, loopback)) {
      Thread server =
          new Thread(
              () -> {
                try (Socket s = echo.accept()) {
                  s.getInputStream().transferTo(s.getOutputStream());
                } catch (Exception e) {
                  // the test ended
                }
              });
      server.setDaemon(true);
      server.start();
      int relayPort;
      try (ServerSocket free = new ServerSocket(0, 50, loopback)) {
        relayPort = free.getLocalPort();
      }
      DelayProxy relay =
          DelayProxy.start(
              "b1",
              new InetSocketAddress(loopback, relayPort),
              new InetSocketAddress(loopback, echo.getLocalPort()),
              address -> "m1");
      try (Socket client = new Socket(loopback, relayPort)) {
        OutputStream out = client.getOutputStream();
        DataInputStream in = new DataInputStream(client.getInputStream());
        byte[] sent = new byte[300_000];
        new Random(1).nextBytes(sent);
        out.write(sent);
        byte[] back = new byte[sent.length];
        in.readFully(back);
        assertThat(Arrays.equals(sent, back)).as("bytes relayed whole and in order").isTrue();

        DelayProxy.delay("m1", 250);
        long t0 = System.nanoTime();
        out.write(42);
        int echoed = in.read();
        double delayedMs = (System.nanoTime() - t0) / 1e6;
        DelayProxy.delay("m1", 0);
        assertThat(echoed).isEqualTo(42);
        System.out.printf("DelayProxyTest: round trip with 250 ms each way: %.0f ms%n", delayedMs);
        assertThat(delayedMs).isGreaterThanOrEqualTo(500);

        out.write(7);
        assertThat(in.read()).as("healed").isEqualTo(7);
        relay.close();
        assertThat(in.read()).as("the relay's connections end with it").isEqualTo(-1);
      } finally {
        relay.close();
      }
    }
  }
}
