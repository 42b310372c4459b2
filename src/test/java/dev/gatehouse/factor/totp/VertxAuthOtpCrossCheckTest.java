package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.ext.auth.otp.Authenticator;
import io.vertx.ext.auth.otp.OtpCredentials;
import io.vertx.ext.auth.otp.OtpKeyGenerator;
import io.vertx.ext.auth.otp.totp.TotpAuth;
import io.vertx.ext.auth.otp.totp.TotpAuthOptions;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * vertx-auth-otp as an independent check of our codes, the use it is sound for: it is not the
 * server's check (one step only, no replay guard, docs/security.md), but for SHA1 keys it must
 * accept exactly the codes our Totp makes, and its secrets must read in our base32.
 */
class VertxAuthOtpCrossCheckTest {

  private static boolean acceptedByVertxAuthOtp(String base32Key, String code) throws Exception {
    TotpAuth auth = TotpAuth.create(new TotpAuthOptions().setPasswordLength(6).setPeriod(30))
        .authenticatorFetcher(id -> Future.succeededFuture(new Authenticator().setIdentifier(id).setKey(base32Key)
            .setAlgorithm("SHA1").setPeriod(30)))
        .authenticatorUpdater(a -> Future.succeededFuture());
    try {
      auth.authenticate(new OtpCredentials("someone", code)).toCompletionStage().toCompletableFuture()
          .get(5, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException refused) {
      return false;
    }
  }

  @Test
  void our_current_code_is_the_one_vertx_auth_otp_accepts_for_twenty_random_secrets() throws Exception {
    TotpVerifier verifier = new TotpVerifier(Clock.systemUTC());
    for (int i = 0; i < 20; i++) {
      TotpSecret secret = TotpSecret.generate();
      long step;
      boolean accepted;
      do { // both read the wall clock: redo when a step boundary fell between them
        step = verifier.currentStep();
        accepted = acceptedByVertxAuthOtp(secret.base32(), Totp.STANDARD.codeForStep(secret.bytes(), step));
      } while (step != verifier.currentStep());
      assertTrue(accepted, "vertx-auth-otp refused our code for " + secret.base32().substring(0, 4) + "…");
      assertTrue(!acceptedByVertxAuthOtp(secret.base32(), Totp.STANDARD.codeForStep(secret.bytes(), step + 5)),
          "and refuses another step's");
    }
  }

  @Test
  void a_key_vertx_auth_otp_generates_reads_the_same_in_our_base32() {
    var key = OtpKeyGenerator.create().generate();
    assertEquals(java.util.HexFormat.of().formatHex(key.getKeyBytes()),
        java.util.HexFormat.of().formatHex(Base32.decode(key.getKey()).orElseThrow()));
  }
}
