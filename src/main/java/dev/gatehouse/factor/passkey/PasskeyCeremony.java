package dev.gatehouse.factor.passkey;

import com.webauthn4j.WebAuthnManager;
import com.webauthn4j.converter.util.CborConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.credential.CredentialRecordImpl;
import com.webauthn4j.data.AuthenticationData;
import com.webauthn4j.data.AuthenticationParameters;
import com.webauthn4j.data.AuthenticationRequest;
import com.webauthn4j.data.PublicKeyCredentialParameters;
import com.webauthn4j.data.PublicKeyCredentialType;
import com.webauthn4j.data.RegistrationData;
import com.webauthn4j.data.RegistrationParameters;
import com.webauthn4j.data.RegistrationRequest;
import com.webauthn4j.data.attestation.authenticator.AAGUID;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import com.webauthn4j.data.attestation.authenticator.AuthenticatorData;
import com.webauthn4j.data.attestation.authenticator.COSEKey;
import com.webauthn4j.data.attestation.statement.COSEAlgorithmIdentifier;
import com.webauthn4j.data.attestation.statement.NoneAttestationStatement;
import com.webauthn4j.data.client.Origin;
import com.webauthn4j.data.client.challenge.DefaultChallenge;
import com.webauthn4j.data.extension.authenticator.AuthenticationExtensionsAuthenticatorOutputs;
import com.webauthn4j.server.ServerProperty;
import com.webauthn4j.verifier.exception.BadChallengeException;
import com.webauthn4j.verifier.exception.BadOriginException;
import com.webauthn4j.verifier.exception.BadRpIdException;
import com.webauthn4j.verifier.exception.BadSignatureException;
import com.webauthn4j.verifier.exception.CrossOriginException;
import com.webauthn4j.verifier.exception.MaliciousCounterValueException;
import com.webauthn4j.verifier.exception.NotAllowedAlgorithmException;
import com.webauthn4j.verifier.exception.UserNotPresentException;
import com.webauthn4j.verifier.exception.UserNotVerifiedException;
import com.webauthn4j.verifier.exception.VerificationException;
import dev.gatehouse.db.Database;
import dev.gatehouse.http.Problem;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebAuthn ceremonies without HTTP: the options for {@code navigator.credentials.create()} and
 * {@code get()}, and the checks of what the browser answered (docs/security.md 44-47).
 *
 * <p>Built on webauthn4j-core, the verifier that vertx-auth-webauthn4j wraps, used directly because the
 * wrapper decides things Gatehouse must decide per ceremony: it has one user-verification setting for
 * every ceremony (preferred for the second step, required without a password), makes a new random user
 * handle at every registration (one per account here), and hides the typed verification failures
 * (a counter that went backwards must be told apart and logged) behind strings. Here each check has its
 * outcome: the challenge is taken first by one statement (single use, whatever follows), the origin is
 * compared exactly as the browser wrote it, and webauthn4j checks the RP id hash, the challenge again,
 * user presence and verification, the algorithm, the signature and the counter.
 */
public final class PasskeyCeremony {

  private static final Logger LOG = LoggerFactory.getLogger(PasskeyCeremony.class);

  public static final Duration CHALLENGE_LIFETIME = Duration.ofMinutes(5);
  static final int CHALLENGE_BYTES = 32;
  /** Threads for the checks, and how many checks may wait for one before a 503 says "busy". */
  static final int VERIFIER_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
  static final int VERIFIER_QUEUE = 64;
  /** ES256, EdDSA and RS256, in the order authenticators should prefer them. */
  private static final List<COSEAlgorithmIdentifier> ALGORITHMS = List.of(COSEAlgorithmIdentifier.ES256,
      COSEAlgorithmIdentifier.EdDSA, COSEAlgorithmIdentifier.RS256);

  /** What a challenge is for; each verifies only against challenges made for it. */
  public enum Purpose {
    REGISTER("register", false),
    SECOND_STEP("second_step", false),
    SUDO("sudo", false),
    /** Without a password the passkey is both factors, so the authenticator must have verified the person. */
    SIGN_IN("sign_in", true);

    final String code;
    final boolean userVerificationRequired;

    Purpose(String code, boolean userVerificationRequired) {
      this.code = code;
      this.userVerificationRequired = userVerificationRequired;
    }
  }

  /** Why a passkey answer was refused; in the problem as {@code reason}. */
  enum Reason { CHALLENGE, ORIGIN, RP_ID, TYPE, USER_PRESENCE, USER_VERIFICATION, CREDENTIAL, ALGORITHM, SIGNATURE,
    COUNTER, INVALID }

  /** A registration that passed every check, for {@code user}: what {@link #register} stores. */
  public record Verified(UUID user, PasskeyStore.NewCredential credential) {
  }

  /** A verified assertion: whose passkey it was, which one, and whether the authenticator verified the person. */
  public record Asserted(UUID user, UUID passkey, boolean userVerified) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final PasskeyStore store;
  private final RelyingParty rp;
  private final Clock clock;
  private final WebAuthnManager webauthn;
  /**
   * Measured: reading and checking an ES256 assertion took 1.8-3.2 ms of CPU each (3,000 in a row, warm, on
   * the shared 2-core build machine) and the first registration 78 ms (class loading): too long for an event
   * loop that serves everyone else meanwhile, so it runs here. Idle threads end with the server.
   */
  private final ThreadPoolExecutor verifiers;
  private final CborConverter cbor;
  private final List<PublicKeyCredentialParameters> parameters;
  private final SecureRandom random = new SecureRandom();

  public PasskeyCeremony(Vertx vertx, Pool pool, PasskeyStore store, RelyingParty rp, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.rp = rp;
    this.clock = clock;
    ObjectConverter converter = new ObjectConverter();
    // Non-strict: attestation is "none", so no statement is judged against trust anchors (nothing to fetch).
    this.webauthn = WebAuthnManager.createNonStrictWebAuthnManager(converter);
    this.cbor = converter.getCborConverter();
    this.parameters = ALGORITHMS.stream()
        .map(alg -> new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY, alg)).toList();
    AtomicInteger n = new AtomicInteger();
    this.verifiers = new ThreadPoolExecutor(VERIFIER_THREADS, VERIFIER_THREADS, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(VERIFIER_QUEUE), r -> {
          Thread thread = new Thread(r, "gatehouse-passkey-" + n.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        }, new ThreadPoolExecutor.AbortPolicy());
    this.verifiers.allowCoreThreadTimeOut(true);
  }

  /**
   * The {@code PublicKeyCredentialCreationOptions} (W3C JSON form) for a new passkey of {@code user}, with a
   * fresh challenge kept server side. The account's passkeys are excluded, so one authenticator is not
   * registered twice.
   */
  public Future<JsonObject> registrationOptions(SqlClient db, UUID user, String email, String displayName) {
    byte[] challenge = newChallenge();
    Instant now = clock.instant();
    return store.userHandle(db, user).compose(handle -> store.descriptors(db, user).compose(existing ->
        store.saveChallenge(db, challenge, Purpose.REGISTER.code, user, now, now.plus(CHALLENGE_LIFETIME))
            .map(v -> new JsonObject()
                .put("rp", new JsonObject().put("id", rp.id()).put("name", rp.name()))
                .put("user", new JsonObject().put("id", base64url(handle)).put("name", email)
                    .put("displayName", displayName))
                .put("challenge", base64url(challenge))
                .put("pubKeyCredParams", new JsonArray(ALGORITHMS.stream()
                    .map(alg -> new JsonObject().put("type", "public-key").put("alg", alg.getValue())).toList()))
                .put("timeout", CHALLENGE_LIFETIME.toMillis())
                .put("excludeCredentials", descriptors(existing))
                .put("authenticatorSelection", new JsonObject().put("residentKey", "preferred")
                    .put("requireResidentKey", false).put("userVerification", "preferred"))
                .put("attestation", "none"))));
  }

  /**
   * Checks what {@code create()} answered against a registration challenge made for {@code user}. An answer
   * that cannot be read is a 400 {@code malformed_passkey} that leaves the challenge; otherwise the challenge
   * is spent, on its own, before the checks, so a refused answer cannot be tried again. Fails with 400
   * {@code passkey_refused} (with a {@code reason}).
   */
  public Future<Verified> verifyRegistration(UUID user, SubmittedPasskey.Registration submitted) {
    Purpose purpose = Purpose.REGISTER;
    return offTheEventLoop(() -> parse(submitted))
        .compose(data -> take(submitted.clientData(), purpose, user)
            .compose(v -> offTheEventLoop(() -> new Verified(user, verify(data, submitted, purpose)))));
  }

  /**
   * Stores a verified passkey under the name its owner gave it, on {@code db} (the caller's transaction);
   * 409 {@code passkey_exists} when its credential id is registered already, to this account or another.
   */
  public Future<Passkey> register(SqlClient db, Verified verified, String name) {
    return store.insert(db, verified.user(), verified.credential().withName(name))
        .recover(err -> Future.failedFuture(Database.isUniqueViolation(err) ? passkeyExists() : err));
  }

  /**
   * The {@code PublicKeyCredentialRequestOptions} (W3C JSON form) for a ceremony of {@code purpose}: the
   * account's own passkeys when a user is named, or any passkey for this site (a discoverable one) when not.
   */
  public Future<JsonObject> assertionOptions(SqlClient db, Purpose purpose, UUID user) {
    byte[] challenge = newChallenge();
    Instant now = clock.instant();
    Future<List<PasskeyStore.Descriptor>> allowed = user == null ? Future.succeededFuture(List.of())
        : store.descriptors(db, user);
    return allowed.compose(existing -> {
      if (user != null && existing.isEmpty()) {
        return Future.failedFuture(noPasskey());
      }
      return store.saveChallenge(db, challenge, purpose.code, user, now, now.plus(CHALLENGE_LIFETIME))
          .map(v -> new JsonObject()
              .put("challenge", base64url(challenge))
              .put("timeout", CHALLENGE_LIFETIME.toMillis())
              .put("rpId", rp.id())
              .put("allowCredentials", descriptors(existing))
              .put("userVerification", purpose.userVerificationRequired ? "required" : "preferred"));
    });
  }

  /**
   * Checks what {@code get()} answered against a challenge of {@code purpose} made for {@code user} (null:
   * a sign-in without a password, where the passkey names its account), and moves the passkey's counter on
   * in {@code db}. Fails with 401 {@code invalid_passkey} (with a {@code reason}); a counter that did not
   * move forward is refused and logged as a possibly cloned authenticator (docs/security.md 46).
   */
  public Future<Asserted> verifyAssertion(SqlClient db, Purpose purpose, UUID user,
                                          SubmittedPasskey.Assertion submitted) {
    return offTheEventLoop(() -> parse(submitted)).compose(data -> take(submitted.clientData(), purpose, user)
        .compose(v -> store.byCredentialId(db, submitted.credentialId()))
        .compose(found -> {
          // Another account's passkey, or none, is one answer: nobody learns whose a credential id is.
          if (found.isEmpty() || (user != null && !found.get().user().equals(user))) {
            return Future.failedFuture(refused(purpose, Reason.CREDENTIAL));
          }
          PasskeyStore.Stored stored = found.get();
          // A user handle, when sent, must be the owner's; without a named user it is how the account is found.
          if (submitted.userHandle() == null ? user == null : !stored.ownedBy(submitted.userHandle())) {
            return Future.failedFuture(refused(purpose, Reason.CREDENTIAL));
          }
          return offTheEventLoop(() -> verify(data, submitted, purpose, stored)).compose(verified ->
              store.recordUse(db, stored.id(), verified.getSignCount(), verified.isFlagBS(), clock.instant())
                  .compose(moved -> moved
                      ? Future.succeededFuture(new Asserted(stored.user(), stored.id(), verified.isFlagUV()))
                      : Future.failedFuture(counterWentBack(stored, purpose))));
        }));
  }

  /**
   * Runs a check on the verifier threads and answers on the caller's context; fails with
   * {@link RejectedExecutionException} (503, "busy") when too many are waiting.
   */
  private <T> Future<T> offTheEventLoop(Supplier<T> check) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    try {
      verifiers.execute(() -> {
        try {
          T result = check.get();
          context.runOnContext(v -> promise.complete(result));
        } catch (RuntimeException e) {
          context.runOnContext(v -> promise.fail(e));
        }
      });
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(e);
    }
    return promise.future();
  }

  /** Spends the challenge the client data names, if it was made for this purpose and account and is unexpired. */
  private Future<Void> take(SubmittedPasskey.ClientData clientData, Purpose purpose, UUID user) {
    // On the pool, committed at once: a transaction rolled back by a refusal must not give the challenge back.
    return store.takeChallenge(pool, clientData.challenge(), purpose.code, user, clock.instant())
        .compose(taken -> taken ? Future.succeededFuture() : Future.failedFuture(refused(purpose, Reason.CHALLENGE)))
        .compose(v -> checkClientData(clientData, purpose));
  }

  /** The origin exactly as the browser serialised it (webauthn4j compares parsed origins, which forgive a path). */
  private Future<Void> checkClientData(SubmittedPasskey.ClientData clientData, Purpose purpose) {
    String type = purpose == Purpose.REGISTER ? "webauthn.create" : "webauthn.get";
    if (!type.equals(clientData.type())) {
      return Future.failedFuture(refused(purpose, Reason.TYPE));
    }
    if (!rp.origin().equals(clientData.origin()) || clientData.crossOrigin()) {
      LOG.warn("A passkey answer made on {} was refused (only {} is ours): a look-alike site?",
          printable(clientData.origin()), rp.origin());
      return Future.failedFuture(refused(purpose, Reason.ORIGIN));
    }
    return Future.succeededFuture();
  }

  /** Reads the attestation object; anything unreadable in it is malformed, not refused. */
  private RegistrationData parse(SubmittedPasskey.Registration submitted) {
    try {
      return webauthn.parse(new RegistrationRequest(submitted.attestationObject(), submitted.clientData().json(),
          null, Set.copyOf(submitted.transports())));
    } catch (RuntimeException e) {
      throw SubmittedPasskey.malformed("credential");
    }
  }

  private AuthenticationData parse(SubmittedPasskey.Assertion submitted) {
    try {
      return webauthn.parse(new AuthenticationRequest(submitted.credentialId(), submitted.userHandle(),
          submitted.authenticatorData(), submitted.clientData().json(), null, submitted.signature()));
    } catch (RuntimeException e) {
      throw SubmittedPasskey.malformed("passkey");
    }
  }

  private PasskeyStore.NewCredential verify(RegistrationData data, SubmittedPasskey.Registration submitted,
                                            Purpose purpose) {
    RegistrationParameters parameters = new RegistrationParameters(server(submitted.clientData()), this.parameters,
        purpose.userVerificationRequired, true);
    try {
      webauthn.verify(data, parameters);
    } catch (VerificationException e) {
      throw refused(purpose, reason(e));
    }
    AuthenticatorData<?> authenticatorData = data.getAttestationObject().getAuthenticatorData();
    AttestedCredentialData attested = authenticatorData.getAttestedCredentialData();
    if (attested == null || !Arrays.equals(attested.getCredentialId(), submitted.credentialId())) {
      throw refused(purpose, Reason.CREDENTIAL);
    }
    return new PasskeyStore.NewCredential(attested.getCredentialId(), cbor.writeValueAsBytes(attested.getCOSEKey()),
        authenticatorData.getSignCount(), null, attested.getAaguid().getValue(), submitted.transports(),
        authenticatorData.isFlagBE(), authenticatorData.isFlagBS());
  }

  private AuthenticatorData<?> verify(AuthenticationData data, SubmittedPasskey.Assertion submitted, Purpose purpose,
                                      PasskeyStore.Stored stored) {
    COSEKey key = cbor.readValue(stored.publicKey(), COSEKey.class);
    CredentialRecordImpl record = new CredentialRecordImpl(new NoneAttestationStatement(), null, stored.backupEligible(),
        null, stored.signCount(), new AttestedCredentialData(new AAGUID(stored.aaguid()), stored.credentialId(), key),
        new AuthenticationExtensionsAuthenticatorOutputs<>(), null, null, null);
    AuthenticationParameters parameters = new AuthenticationParameters(server(submitted.clientData()), record,
        List.of(stored.credentialId()), purpose.userVerificationRequired, true);
    try {
      return webauthn.verify(data, parameters).getAuthenticatorData();
    } catch (MaliciousCounterValueException e) {
      throw counterWentBack(stored, purpose);
    } catch (VerificationException e) {
      throw refused(purpose, reason(e));
    }
  }

  /** The challenge is the one the client data carries, already taken from the store, so it is ours. */
  private ServerProperty server(SubmittedPasskey.ClientData clientData) {
    return new ServerProperty(Origin.create(rp.origin()), rp.id(), new DefaultChallenge(clientData.challenge()));
  }

  private static Problem counterWentBack(PasskeyStore.Stored stored, Purpose purpose) {
    LOG.warn("Passkey {} of user {} was refused: its signature counter did not move forward (stored {}), "
        + "which can mean a cloned authenticator", stored.id(), stored.user(), stored.signCount());
    return refused(purpose, Reason.COUNTER);
  }

  private static Reason reason(VerificationException e) {
    if (e instanceof BadOriginException || e instanceof CrossOriginException) {
      return Reason.ORIGIN;
    }
    if (e instanceof BadRpIdException) {
      return Reason.RP_ID;
    }
    if (e instanceof BadChallengeException) {
      return Reason.CHALLENGE;
    }
    if (e instanceof UserNotVerifiedException) {
      return Reason.USER_VERIFICATION;
    }
    if (e instanceof UserNotPresentException) {
      return Reason.USER_PRESENCE;
    }
    if (e instanceof NotAllowedAlgorithmException) {
      return Reason.ALGORITHM;
    }
    if (e instanceof BadSignatureException) {
      return Reason.SIGNATURE;
    }
    return Reason.INVALID;
  }

  /** A registration refused is the person's own doing (400); an assertion refused counts as a wrong code (401). */
  static Problem refused(Purpose purpose, Reason reason) {
    String detail = switch (reason) {
      case CHALLENGE -> "This passkey request expired or was already used. Try again.";
      case ORIGIN, TYPE -> "This passkey answer was not made for this page.";
      case RP_ID -> "This passkey belongs to another website.";
      case USER_PRESENCE, USER_VERIFICATION ->
          "Your passkey did not confirm it was you (with a PIN, fingerprint or face). Try again.";
      case CREDENTIAL -> "This passkey is not one of this account's passkeys.";
      case ALGORITHM -> "This passkey uses a kind of key that Gatehouse does not accept.";
      case COUNTER -> "This passkey was refused: its use counter went backwards, which can mean it was copied.";
      case SIGNATURE, INVALID -> "This passkey answer did not verify. Try again.";
    };
    Problem problem = purpose == Purpose.REGISTER ? Problem.badRequest("passkey_refused", detail)
        : Problem.unauthorized("invalid_passkey", detail);
    return problem.with("reason", reason.name().toLowerCase(Locale.ROOT));
  }

  static Problem noPasskey() {
    return Problem.conflict("no_passkey", "This account has no passkey.");
  }

  static Problem passkeyExists() {
    return Problem.conflict("passkey_exists", "This passkey is registered already.");
  }

  /** Someone else's text in a log line: printable ASCII only, and short. */
  private static String printable(String text) {
    String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 100 ? clean.substring(0, 100) + "…" : clean;
  }

  private JsonArray descriptors(List<PasskeyStore.Descriptor> list) {
    return new JsonArray(list.stream().map(d -> new JsonObject().put("type", "public-key")
        .put("id", base64url(d.credentialId())).put("transports", new JsonArray(d.transports()))).toList());
  }

  private byte[] newChallenge() {
    byte[] challenge = new byte[CHALLENGE_BYTES];
    random.nextBytes(challenge);
    return challenge;
  }

  static String base64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
