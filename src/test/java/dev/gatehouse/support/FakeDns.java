package dev.gatehouse.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, any free port) that answers TXT queries from a
 * map the test fills, and NXDOMAIN for everything else: enough to let tests publish an
 * organisation's domain-verification record. Point Gatehouse at it with
 * {@code GATEHOUSE_DNS_SERVER = fakeDns.address()}.
 */
public final class FakeDns implements AutoCloseable {

  private static final int TXT = 16;

  private final DatagramSocket socket;
  private final Map<String, List<String>> txt = new ConcurrentHashMap<>();
  private final Thread thread;

  private FakeDns(DatagramSocket socket) {
    this.socket = socket;
    this.thread = new Thread(this::serve, "fake-dns");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  public static FakeDns start() {
    try {
      return new FakeDns(new DatagramSocket(0, InetAddress.getLoopbackAddress()));
    } catch (SocketException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code host:port}, the value for GATEHOUSE_DNS_SERVER. */
  public String address() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  /** Publishes (replaces) the TXT record(s) of a name. */
  public void putTxt(String name, String... values) {
    txt.put(name.toLowerCase(Locale.ROOT), List.of(values));
  }

  private void serve() {
    byte[] buffer = new byte[512];
    while (!socket.isClosed()) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        byte[] answer = answer(buffer, packet.getLength());
        if (answer != null) {
          socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
        }
      } catch (IOException | RuntimeException e) {
        if (socket.isClosed()) {
          return;
        }
      }
    }
  }

  /** Parses one question and writes the response, or null for anything that is not a simple query. */
  private byte[] answer(byte[] query, int length) {
    if (length < 12 || (query[4] << 8 | query[5] & 0xff) != 1) {
      return null;
    }
    int pos = 12;
    StringBuilder name = new StringBuilder();
    while (pos < length && query[pos] != 0) {
      int label = query[pos] & 0xff;
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(query, pos + 1, label, StandardCharsets.US_ASCII));
      pos += label + 1;
    }
    int questionEnd = pos + 5; // the zero byte, QTYPE, QCLASS
    if (questionEnd > length) {
      return null;
    }
    int type = (query[pos + 1] & 0xff) << 8 | query[pos + 2] & 0xff;
    List<String> values = type == TXT ? txt.get(name.toString().toLowerCase(Locale.ROOT)) : null;

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(query[0]);
    out.write(query[1]);
    out.write(0x84 | query[2] & 0x01); // response, authoritative, RD copied
    out.write(values == null ? 0x03 : 0x00); // NXDOMAIN or no error
    out.writeBytes(new byte[] {0, 1, 0, (byte) (values == null ? 0 : values.size()), 0, 0, 0, 0});
    out.write(query, 12, questionEnd - 12);
    if (values != null) {
      for (String value : values) {
        byte[] text = value.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, TXT, 0, 1, 0, 0, 0, 60, 0, (byte) (text.length + 1), (byte) text.length});
        out.writeBytes(text);
      }
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    socket.close();
  }
}
