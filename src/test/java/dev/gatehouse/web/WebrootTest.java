package dev.gatehouse.web;

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

/** The web app stays small, build-free and inside a strict CSP: checked on the files themselves. */
class WebrootTest {

  private static final Path WEBROOT = Path.of("webroot");
  /**
   * Issue 5 set 100 kB for sign-in, enrollment and recovery codes; sessions, password change,
   * passkeys and SSO re-authentication added their screens (130.6 KiB with all of them).
   */
  private static final long BUDGET_BYTES = 144 * 1024;
  /** What a browser actually downloads: the server compresses every answer (gzip). */
  private static final long GZIP_BUDGET_BYTES = 56 * 1024;

  private static List<Path> files() throws IOException {
    try (Stream<Path> walk = Files.walk(WEBROOT)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** The file's text; in scripts without whole-line comments, which may name what the code avoids. */
  private static String read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return file.toString().endsWith(".js") ? text.replaceAll("(?m)^\\s*//.*$", "") : text;
  }

  @Test
  void the_whole_app_is_under_144_KiB_uncompressed() throws IOException {
    long total = 0;
    for (Path file : files()) total += Files.size(file);
    assertTrue(total < BUDGET_BYTES, "webroot/ is " + total + " bytes, budget " + BUDGET_BYTES);
  }

  @Test
  void the_whole_app_is_under_56_KiB_as_sent_compressed() throws IOException {
    long total = 0;
    for (Path file : files()) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(out)) {
        gzip.write(Files.readAllBytes(file));
      }
      total += out.size();
    }
    assertTrue(total < GZIP_BUDGET_BYTES, "webroot/ gzipped is " + total + " bytes, budget " + GZIP_BUDGET_BYTES);
  }

  @Test
  void there_is_one_stylesheet() throws IOException {
    List<Path> css = files().stream().filter(f -> f.toString().endsWith(".css")).toList();
    assertEquals(List.of(WEBROOT.resolve("css/app.css")), css);
  }

  @Test
  void nothing_inline_that_a_strict_csp_would_block() throws IOException {
    Pattern html = Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>|<style\\b|\\sstyle=|\\son[a-z]+=|javascript:",
        Pattern.CASE_INSENSITIVE);
    // Writing element.style or style attributes from script is blocked by style-src 'self' too.
    Pattern js = Pattern.compile("\\.style\\.|\\.style\\s*=|setAttribute\\(\\s*'style'|innerHTML|outerHTML|"
        + "insertAdjacentHTML|document\\.write|\\beval\\(|new Function\\(|localStorage|console\\.");
    List<String> found = new ArrayList<>();
    for (Path file : files()) {
      String name = file.toString();
      Pattern rule = name.endsWith(".html") || name.endsWith(".svg") ? html : name.endsWith(".js") ? js : null;
      if (rule == null) continue;
      Matcher m = rule.matcher(read(file));
      while (m.find()) found.add(WEBROOT.relativize(file) + ": " + m.group());
    }
    assertEquals(List.of(), found);
  }

  @Test
  void scripts_are_plain_es_modules_loaded_from_the_page() throws IOException {
    String index = read(WEBROOT.resolve("index.html"));
    assertTrue(index.contains("<script type=\"module\" src=\"/js/main.js\"></script>"), "index.html loads main.js as a module");
    for (Path file : files()) {
      if (!file.toString().endsWith(".js")) continue;
      Matcher imports = Pattern.compile("from '([^']+)'").matcher(read(file));
      while (imports.find()) {
        String target = imports.group(1);
        assertTrue(target.startsWith("./") || target.startsWith("../"), file + " imports " + target + ": relative paths only");
        assertTrue(Files.isRegularFile(file.getParent().resolve(target).normalize()), file + " imports a missing " + target);
      }
    }
  }
}
