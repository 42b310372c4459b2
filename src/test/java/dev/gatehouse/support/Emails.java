package dev.gatehouse.support;

import java.util.UUID;

/** Unique addresses, so tests sharing a server never collide. */
public final class Emails {

  private Emails() {
  }

  public static String unique(String who) {
    return who + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }
}
