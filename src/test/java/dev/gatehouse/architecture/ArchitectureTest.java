package dev.gatehouse.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package map of docs/design.md, held against the compiled code: no package cycles, the
 * assembly at the top, shared plumbing below the features, and factors that plug into the sign-in
 * flow without knowing it.
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.gatehouse");
  }

  /** Every package is its own slice (factor and factor.totp apart), so a cycle between any two fails. */
  @Test
  void no_package_imports_another_that_imports_it_back() {
    slices().matching("dev.gatehouse.(**)").should().beFreeOfCycles().check(classes);
  }

  /** The root package (Main, Gatehouse, Housekeeping) assembles everything, and nothing depends on it. */
  @Test
  void nothing_depends_on_the_assembly() {
    noClasses().that().resideOutsideOfPackage("dev.gatehouse")
        .should().dependOnClassesThat().resideInAPackage("dev.gatehouse").check(classes);
  }

  /** A factor is checked for the sign-in flow and for sudo alike: it must not know either. */
  @Test
  void factors_do_not_import_the_sign_in_flow() {
    noClasses().that().resideInAPackage("dev.gatehouse.factor..")
        .should().dependOnClassesThat().resideInAPackage("dev.gatehouse.signin..").check(classes);
  }

  /** The factor interface, registry and attempt service know no particular factor: adding one adds a package. */
  @Test
  void the_factor_core_knows_no_particular_factor() {
    noClasses().that().resideInAPackage("dev.gatehouse.factor")
        .should().dependOnClassesThat().resideInAPackage("dev.gatehouse.factor.(*)..").check(classes);
  }

  /** Shared plumbing sits below every feature. */
  @Test
  void plumbing_imports_no_feature() {
    noClasses().that().resideInAnyPackage("dev.gatehouse.http..", "dev.gatehouse.db..", "dev.gatehouse.crypto..",
            "dev.gatehouse.config..", "dev.gatehouse.session..", "dev.gatehouse.audit..", "dev.gatehouse.throttle..",
            "dev.gatehouse.metrics..", "dev.gatehouse.logging..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.gatehouse.account..", "dev.gatehouse.factor..",
            "dev.gatehouse.signin..", "dev.gatehouse.sso..")
        .check(classes);
  }
}
