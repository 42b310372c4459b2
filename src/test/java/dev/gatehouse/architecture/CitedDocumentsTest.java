package dev.gatehouse.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code and tests cite only documents of this repository (docs/design.md, docs/security.md), and
 * every requirement number they cite exists there.
 */
class CitedDocumentsTest {

  private static final Pattern CITED_PATH = Pattern.compile("docs/[A-Za-z0-9_./-]+\\.md");
  private static final Pattern OUTSIDE = Pattern.compile("(?<![/\\w])(DESIGN|SECURITY|STYLE)\\.md|\\.\\./shared");
  /** "docs/security.md 7", "docs/security.md 7-8", "(docs/security.md 1, 4 and 27)". */
  private static final Pattern SECURITY_NUMBERS = Pattern.compile("docs/security\\.md((?:[ ,]+(?:and |item )?\\d+(?:[-–]\\d+)?)+)");
  private static final Pattern REQUIREMENT = Pattern.compile("(?m)^(\\d+)\\. ");

  private static List<Path> sources() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String root : List.of("src", "bench", "webroot", ".ci")) {
      Path dir = Path.of(root);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          walk.filter(Files::isRegularFile)
              .filter(p -> p.toString().matches(".*\\.(java|js|sql|sh|xml|hbs|css|html|properties)$|.*/run$"))
              .forEach(files::add);
        }
      }
    }
    return files;
  }

  @Test
  void every_document_cited_in_the_sources_exists_in_the_repository() throws IOException {
    List<String> missing = new ArrayList<>();
    List<String> outside = new ArrayList<>();
    int cited = 0;
    for (Path file : sources()) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      Matcher m = CITED_PATH.matcher(text);
      while (m.find()) {
        cited++;
        if (!Files.isRegularFile(Path.of(m.group()))) {
          missing.add(file + " cites " + m.group());
        }
      }
      if (OUTSIDE.matcher(text).find()) {
        outside.add(file.toString());
      }
    }
    assertTrue(cited > 20, "the sources cite the docs (" + cited + " citations found)");
    assertEquals(List.of(), missing, "cited documents that do not exist");
    assertEquals(List.of(), outside, "files citing documents outside the repository");
  }

  @Test
  void every_cited_security_requirement_is_numbered_in_docs_security_md() throws IOException {
    List<Integer> numbered = new ArrayList<>();
    Matcher r = REQUIREMENT.matcher(Files.readString(Path.of("docs/security.md"), StandardCharsets.UTF_8));
    while (r.find()) {
      numbered.add(Integer.parseInt(r.group(1)));
    }
    List<String> unknown = new ArrayList<>();
    for (Path file : sources()) {
      Matcher m = SECURITY_NUMBERS.matcher(Files.readString(file, StandardCharsets.UTF_8));
      while (m.find()) {
        Matcher n = Pattern.compile("\\d+").matcher(m.group(1));
        while (n.find()) {
          if (!numbered.contains(Integer.parseInt(n.group()))) {
            unknown.add(file + ": docs/security.md" + m.group(1));
          }
        }
      }
    }
    assertEquals(List.of(), unknown, "requirement numbers that docs/security.md does not have");
  }
}
