package dev.gatehouse.load;

import dev.gatehouse.load.SeedUsers.SeededUser;

import java.util.List;

/**
 * Hands out TOTP users so that none signs in twice in one 30 s step (a code is single-use: the
 * server accepts only a later step than the last one accepted). A user is reserved when its pending
 * sign-in is prepared and freed when its code is sent; it is handed out again only in a later step.
 */
final class UserCycle {

  private final List<SeededUser> users;
  private final long[] usedStep;
  private final boolean[] reserved;
  private int cursor;

  UserCycle(List<SeededUser> users) {
    this.users = users;
    this.usedStep = new long[users.size()];
    this.reserved = new boolean[users.size()];
    java.util.Arrays.fill(usedStep, -1);
  }

  int size() {
    return users.size();
  }

  SeededUser user(int index) {
    return users.get(index);
  }

  /** A user free in the current step, or -1 when every user is used or reserved in this step. */
  synchronized int reserve() {
    long step = LoadTotp.currentStep();
    for (int n = 0; n < users.size(); n++) {
      int i = cursor;
      cursor = (cursor + 1) % users.size();
      if (!reserved[i] && usedStep[i] < step) {
        reserved[i] = true;
        return i;
      }
    }
    return -1;
  }

  /** Like {@link #reserve} but waits for the next step when needed (only while preparing, never while measuring). */
  int reserveWaiting() throws InterruptedException {
    while (true) {
      int i = reserve();
      if (i >= 0) {
        return i;
      }
      Thread.sleep(250);
    }
  }

  /** The step whose code is being sent now for user {@code index}; frees the reservation. */
  synchronized long use(int index) {
    long step = LoadTotp.currentStep();
    usedStep[index] = step;
    reserved[index] = false;
    return step;
  }

  synchronized void release(int index) {
    reserved[index] = false;
  }

  /** Users free in the current step right now. */
  synchronized int available() {
    long step = LoadTotp.currentStep();
    int n = 0;
    for (int i = 0; i < users.size(); i++) {
      if (!reserved[i] && usedStep[i] < step) {
        n++;
      }
    }
    return n;
  }
}
