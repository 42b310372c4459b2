package dev.gatehouse.factor.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecoveryCodeTest {

  @Test
  void aSetHasTenDistinctCodes() {
    List<RecoveryCode> set = RecoveryCode.generateSet();
    assertEquals(10, set.size());
    assertEquals(10, new HashSet<>(set).size());
  }

  @Test
  void codesAreShownAsFourGroupsOfFour() {
    for (RecoveryCode code : RecoveryCode.generateSet()) {
      assertTrue(code.display().matches("[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}"), code.display());
      assertTrue(code.canonical().matches("[0-9A-HJKMNP-TV-Z]{16}"));
    }
  }

  @Test
  void sixteenSymbolsCarryEightyRandomBits() {
    assertEquals(80, RecoveryCode.BITS);
    assertEquals(32, RecoveryCode.ALPHABET.length());
    assertEquals(16, RecoveryCode.generate().canonical().length());
    // Every symbol turns up in every position over enough codes: the bits are spread, not stuck.
    int[][] seen = new int[16][32];
    for (int i = 0; i < 4000; i++) {
      String code = RecoveryCode.generate().canonical();
      for (int p = 0; p < 16; p++) {
        seen[p][RecoveryCode.ALPHABET.indexOf(code.charAt(p))]++;
      }
    }
    for (int[] position : seen) {
      for (int count : position) {
        assertTrue(count > 0);
      }
    }
  }

  @Test
  void codesDoNotRepeat() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      assertTrue(seen.add(RecoveryCode.generate().canonical()));
    }
  }

  @Test
  void whatIsShownParsesBackToTheSameCode() {
    RecoveryCode code = RecoveryCode.generate();
    assertEquals(code, RecoveryCode.parse(code.display()).orElseThrow());
    assertEquals(code, RecoveryCode.parse(code.canonical()).orElseThrow());
  }

  @Test
  void caseSpacesAndHyphensDoNotMatter() {
    RecoveryCode code = RecoveryCode.parse("abcd-efgh-jkmn-pqrs").orElseThrow();
    for (String typed : List.of("ABCD-EFGH-JKMN-PQRS", "abcdefghjkmnpqrs", "abcd efgh jkmn pqrs", " AbCd-eFgH jkmn--pqrs ",
        "ab-cd-ef-gh-jk-mn-pq-rs", "abcd\tefgh\njkmn pqrs")) {
      assertEquals(code, RecoveryCode.parse(typed).orElseThrow(), typed);
    }
  }

  @Test
  void lookalikesReadAsCrockfordSays() {
    assertEquals(RecoveryCode.parse("0000-1111-0000-1111").orElseThrow(),
        RecoveryCode.parse("oOoO-iIlL-0o0O-1i1l").orElseThrow());
  }

  @Test
  void theCanonicalFormIsWhatLookupUses() {
    assertEquals("ABCD0000111100Z9", RecoveryCode.parse("abcd-oooo-iiii-00z9").orElseThrow().canonical());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abcd-efgh-jkmn-pqr", "abcd-efgh-jkmn-pqrst", "abcd-efgh-jkmn-pqru", "abcd_efgh_jkmn_pqrs",
      "abcd-efgh-jkmn-pqr!", "ａｂｃｄ-efgh-jkmn-pqrs", "abcd-efgh-jkmn-pqr١", "123456"})
  void anythingElseIsMalformed(String input) {
    assertTrue(RecoveryCode.parse(input).isEmpty(), input);
  }

  @Test
  void nullAndHugeInputsAreMalformed() {
    assertTrue(RecoveryCode.parse(null).isEmpty());
    assertTrue(RecoveryCode.parse("a".repeat(10_000)).isEmpty());
    assertTrue(RecoveryCode.parse("-".repeat(10_000) + "abcdefghjkmnpqrs").isEmpty());
  }

  @Test
  void codesDoNotShowThemselvesInLogs() {
    RecoveryCode code = RecoveryCode.generate();
    assertEquals("RecoveryCode[redacted]", code.toString());
    assertNotEquals(code.display(), code.toString());
  }
}
