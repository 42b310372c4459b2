package dev.gatehouse.crypto;

/** The server key is missing, malformed or unreadable: startup stops with this message (never the key). */
public final class KeyMaterialException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public KeyMaterialException(String message) {
    super(message);
  }

  public KeyMaterialException(String message, Throwable cause) {
    super(message, cause);
  }
}
