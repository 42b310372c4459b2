package dev.gatehouse.crypto;

/** A sealed secret cannot be opened: malformed, sealed under a key we no longer have, moved, or tampered with. */
public final class EnvelopeException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public EnvelopeException(String message) {
    super(message);
  }
}
