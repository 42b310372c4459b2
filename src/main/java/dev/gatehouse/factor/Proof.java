package dev.gatehouse.factor;

/** A proof as parsed from a request body: which factor, and its value. The method is named once, here. */
public record Proof<P>(Factor<P> factor, P value) {

  public String method() {
    return factor.method();
  }

  @Override
  public String toString() {
    return "Proof[" + factor.method() + ", redacted]";
  }
}
