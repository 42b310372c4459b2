package dev.gatehouse.support;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An independent command-line tool a test checks our output against (oathtool, zbarimg). Missing
 * locally: the test is skipped with the install line. Missing in CI (CI=true): the test fails,
 * because CI installs them and a skipped cross-check proves nothing.
 */
public final class ExternalTool {

  private ExternalTool() {
  }

  public static void require(String command, String debianPackage) {
    boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    String message = command + " is not installed (apt-get install -y " + debianPackage + ")";
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(found, message);
    }
    assumeTrue(found, message + ": skipping the cross-check");
  }
}
