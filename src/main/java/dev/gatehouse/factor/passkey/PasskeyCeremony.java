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
import dev.gatehouse.crypto.LookupHash;
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
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
 * every ceremony (preferred after a password, required without one), makes a new random user handle at
 * every registration (one per account here), and hides the typed verification failures (a counter that
 * went backwards must be told apart and logged) behind strings. Here the origin is compared exactly as
 * the browser wrote it, and webauthn4j checks the RP id hash, the challenge, user presence and
 * verification, the algorithm, the signature and the counter. The checks run on a small bounded pool of
 * their own, never on an event loop; what a verified answer changes is the caller's statement.
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
  /** A sign-in challenge: expiry (8 bytes of epoch seconds), 16 random bytes, 16 bytes of MAC over both. */
  static final int SIGN_IN_CHALLENGE_BYTES = 40;
  private static final String SIGN_IN_MAC_CONTEXT = "passkey-sign-in-challenge";

  /** What a challenge is for; each verifies only against challenges made for it. */
  public enum Purpose {
    /** Kept server side for the signed-in account. */
    REGISTER("register", false),
    /** Kept server side for the account that gives it: the second step and sudo, after the password. */
    ASSERTION("assertion", false),
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
  public enum Reason { CHALLENGE, ORIGIN, RP_ID, TYPE, USER_PRESENCE, USER_VERIFICATION, CREDENTIAL, ALGORITHM,
    SIGNATURE, COUNTER, CANCELLED, INVALID;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A refusal while checking an answer; callers turn it into their own answer (400 at registration, 401 else). */
  public static final class Refused extends RuntimeException {

    private final Reason reason;

    Refused(Reason reason) {
      super(reason.code(), null, false, false);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  /** A registration that passed every check, for {@code user}: what {@link #register} stores. */
  public record Verified(UUID user, PasskeyStore.NewCredential credential) {
  }

  /** What a verified assertion moves the stored passkey to, and whether the person was verified. */
  public record Used(long signCount, boolean backedUp, boolean userVerified) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final PasskeyStore store;
  private final RelyingParty rp;
  private final LookupHash macs;
  private final Clock clock;
  /**
   * Measured: reading and checking an ES256 assertion took 1.8-3.2 ms of CPU each (3,000 in a row, warm, on
   * the shared 2-core build machine) and the first registration 78 ms (class loading): too long for an event
   * loop that serves everyone else meanwhile, so it runs here. Idle threads end with the server.
   */
  private final ThreadPoolExecutor verifiers;
  private final List<PublicKeyCredentialParameters> parameters;
  private final SecureRandom random = new SecureRandom();

  public PasskeyCeremony(Vertx vertx, Pool pool, PasskeyStore store, RelyingParty rp, LookupHash macs, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.rp = rp;
    this.macs = macs;
    this.clock = clock;
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
    // Off the path to ready, but before the first person who needs it: load the verifier a second later.
    vertx.setTimer(1_000, id -> {
      try {
        verifiers.execute(Verifier::load);
      } catch (RejectedExecutionException e) {
        // The pool is busy with ceremonies, which load it themselves.
      }
    });
  }

  /**
   * webauthn4j and the Jackson converters under it: some 850 classes, which took 0.3-0.4 s of a 2-core
   * machine's start to ready when they were made with the server (docs/deploy.md, "Start-up"). A class
   * holder, so the JVM makes them once, at the first use, on whichever thread gets there first.
   */
  private static final class Verifier {
    private static final ObjectConverter CONVERTER = new ObjectConverter();
    /** Non-strict: attestation is "none", so no statement is judged against trust anchors (nothing to fetch). */
    static final WebAuthnManager WEBAUTHN = WebAuthnManager.createNonStrictWebAuthnManager(CONVERTER);
    static final CborConverter CBOR = CONVERTER.getCborConverter();

    private Verifier() {
    }

    static void load() {
      WEBAUTHN.getClass();
    }
  }

  public RelyingParty relyingParty() {
    return rp;
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
    return offTheEventLoop(() -> parse(submitted))
        // On the pool, committed at once: a refused answer must not give the challenge back.
        .compose(data -> store.takeChallenge(pool, submitted.clientData().challenge(), Purpose.REGISTER.code, user,
                clock.instant())
            .compose(taken -> {
              if (!taken) {
                return Future.failedFuture(registrationRefused(Reason.CHALLENGE));
              }
              Optional<Reason> wrongPage = checkClientData(submitted.clientData(), Purpose.REGISTER);
              return wrongPage.isPresent() ? Future.failedFuture(registrationRefused(wrongPage.get()))
                  : offTheEventLoop(() -> new Verified(user, verify(data, submitted)));
            }));
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
   * The {@code PublicKeyCredentialRequestOptions} (W3C JSON form) for the account's own passkeys after its
   * password (the second step, sudo), with a fresh challenge kept server side for the account; 409
   * {@code no_passkey} when it has none.
   */
  public Future<JsonObject> assertionOptions(SqlClient db, UUID user) {
    byte[] challenge = newChallenge();
    Instant now = clock.instant();
    return store.descriptors(db, user).compose(existing -> existing.isEmpty() ? Future.failedFuture(noPasskey())
        : store.saveChallenge(db, challenge, Purpose.ASSERTION.code, user, now, now.plus(CHALLENGE_LIFETIME))
            .map(v -> requestOptions(challenge, descriptors(existing), Purpose.ASSERTION)));
  }

  /**
   * The request options for a sign-in without a password: any passkey of this site (a discoverable one),
   * user verification required. Nothing is stored for an anonymous visitor (docs/security.md 30): the
   * challenge carries its own expiry and a MAC under a subkey of the server key, and is written down only
   * once a passkey has signed in with it ({@link #checkSignInChallenge}).
   */
  public JsonObject signInOptions() {
    ByteBuffer body = ByteBuffer.allocate(24);
    body.putLong(clock.instant().plus(CHALLENGE_LIFETIME).getEpochSecond());
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    body.put(nonce);
    byte[] challenge = Arrays.copyOf(body.array(), SIGN_IN_CHALLENGE_BYTES);
    System.arraycopy(signInMac(macs.of(SIGN_IN_MAC_CONTEXT, base64url(body.array()))), 0, challenge, 24, 16);
    return requestOptions(challenge, new JsonArray(), Purpose.SIGN_IN);
  }

  /**
   * When the challenge is one this server made for a sign-in without a password (under any key of the ring)
   * and has not expired: its expiry, until which its use must be remembered so that it is used once.
   */
  public Optional<Instant> checkSignInChallenge(byte[] challenge) {
    if (challenge.length != SIGN_IN_CHALLENGE_BYTES) {
      return Optional.empty();
    }
    byte[] body = Arrays.copyOf(challenge, 24);
    byte[] mac = Arrays.copyOfRange(challenge, 24, SIGN_IN_CHALLENGE_BYTES);
    boolean ours = false;
    for (byte[] expected : macs.underEveryKey(SIGN_IN_MAC_CONTEXT, base64url(body))) {
      ours |= MessageDigest.isEqual(signInMac(expected), mac);
    }
    Instant expires = Instant.ofEpochSecond(ByteBuffer.wrap(body).getLong());
    Instant now = clock.instant();
    return ours && expires.isAfter(now) && !expires.isAfter(now.plus(CHALLENGE_LIFETIME)) ? Optional.of(expires)
        : Optional.empty();
  }

  private static byte[] signInMac(byte[] hmac) {
    return Arrays.copyOf(hmac, 16);
  }

  private JsonObject requestOptions(byte[] challenge, JsonArray allowed, Purpose purpose) {
    return new JsonObject()
        .put("challenge", base64url(challenge))
        .put("timeout", CHALLENGE_LIFETIME.toMillis())
        .put("rpId", rp.id())
        .put("allowCredentials", allowed)
        .put("userVerification", purpose.userVerificationRequired ? "required" : "preferred");
  }

  /**
   * Checks what {@code get()} answered for {@code stored}, on the verifier threads: the page's origin, then
   * the signature over the RP id hash, the client data (whose challenge the caller has matched to one of
   * ours), user presence and, for {@link Purpose#SIGN_IN}, verification, and a counter that moved forward.
   * Fails with {@link Refused}; a counter that did not move forward is logged as a possibly cloned
   * authenticator (docs/security.md 46).
   */
  public Future<Used> verifyAssertion(PasskeyStore.Stored stored, SubmittedPasskey.Assertion submitted,
                                      Purpose purpose) {
    Optional<Reason> wrongPage = checkClientData(submitted.clientData(), purpose);
    if (wrongPage.isPresent()) {
      return Future.failedFuture(new Refused(wrongPage.get()));
    }
    return offTheEventLoop(() -> {
      AuthenticatorData<?> data = verify(parse(submitted), submitted, purpose, stored);
      return new Used(data.getSignCount(), data.isFlagBS(), data.isFlagUV());
    });
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

  /** The origin exactly as the browser serialised it (webauthn4j compares parsed origins, which forgive a path). */
  private Optional<Reason> checkClientData(SubmittedPasskey.ClientData clientData, Purpose purpose) {
    String type = purpose == Purpose.REGISTER ? "webauthn.create" : "webauthn.get";
    if (!type.equals(clientData.type())) {
      return Optional.of(Reason.TYPE);
    }
    if (!rp.origin().equals(clientData.origin()) || clientData.crossOrigin()) {
      LOG.warn("A passkey answer made on {} was refused (only {} is ours): a look-alike site?",
          printable(clientData.origin()), rp.origin());
      return Optional.of(Reason.ORIGIN);
    }
    return Optional.empty();
  }

  /** Reads the attestation object; anything unreadable in it is malformed, not refused. */
  private RegistrationData parse(SubmittedPasskey.Registration submitted) {
    try {
      return Verifier.WEBAUTHN.parse(new RegistrationRequest(submitted.attestationObject(), submitted.clientData().json(),
          null, Set.copyOf(submitted.transports())));
    } catch (RuntimeException e) {
      throw SubmittedPasskey.malformed("credential");
    }
  }

  /** An assertion whose authenticator data cannot be read is refused like a wrong signature: it was tried. */
  private AuthenticationData parse(SubmittedPasskey.Assertion submitted) {
    try {
      return Verifier.WEBAUTHN.parse(new AuthenticationRequest(submitted.credentialId(), submitted.userHandle(),
          submitted.authenticatorData(), submitted.clientData().json(), null, submitted.signature()));
    } catch (RuntimeException e) {
      throw new Refused(Reason.INVALID);
    }
  }

  private PasskeyStore.NewCredential verify(RegistrationData data, SubmittedPasskey.Registration submitted) {
    RegistrationParameters parameters = new RegistrationParameters(server(submitted.clientData()), this.parameters,
        Purpose.REGISTER.userVerificationRequired, true);
    try {
      Verifier.WEBAUTHN.verify(data, parameters);
    } catch (VerificationException e) {
      throw registrationRefused(reason(e));
    }
    AuthenticatorData<?> authenticatorData = data.getAttestationObject().getAuthenticatorData();
    AttestedCredentialData attested = authenticatorData.getAttestedCredentialData();
    if (attested == null || !Arrays.equals(attested.getCredentialId(), submitted.credentialId())) {
      throw registrationRefused(Reason.CREDENTIAL);
    }
    return new PasskeyStore.NewCredential(attested.getCredentialId(), Verifier.CBOR.writeValueAsBytes(attested.getCOSEKey()),
        authenticatorData.getSignCount(), null, attested.getAaguid().getValue(), submitted.transports(),
        authenticatorData.isFlagBE(), authenticatorData.isFlagBS());
  }

  private AuthenticatorData<?> verify(AuthenticationData data, SubmittedPasskey.Assertion submitted, Purpose purpose,
                                      PasskeyStore.Stored stored) {
    COSEKey key = Verifier.CBOR.readValue(stored.publicKey(), COSEKey.class);
    CredentialRecordImpl record = new CredentialRecordImpl(new NoneAttestationStatement(), null, stored.backupEligible(),
        null, stored.signCount(), new AttestedCredentialData(new AAGUID(stored.aaguid()), stored.credentialId(), key),
        new AuthenticationExtensionsAuthenticatorOutputs<>(), null, null, null);
    AuthenticationParameters parameters = new AuthenticationParameters(server(submitted.clientData()), record,
        List.of(stored.credentialId()), purpose.userVerificationRequired, true);
    try {
      return Verifier.WEBAUTHN.verify(data, parameters).getAuthenticatorData();
    } catch (MaliciousCounterValueException e) {
      counterWentBack(stored);
      throw new Refused(Reason.COUNTER);
    } catch (VerificationException e) {
      throw new Refused(reason(e));
    }
  }

  /** The challenge is the one the client data carries, which the caller has matched to one of ours. */
  private ServerProperty server(SubmittedPasskey.ClientData clientData) {
    return new ServerProperty(Origin.create(rp.origin()), rp.id(), new DefaultChallenge(clientData.challenge()));
  }

  /** A counter that did not move forward: the log line for the operator (docs/security.md 46). */
  static void counterWentBack(PasskeyStore.Stored stored) {
    LOG.warn("Passkey {} of user {} was refused: its signature counter did not move forward (stored {}), "
        + "which can mean a cloned authenticator", stored.id(), stored.user(), stored.signCount());
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

  /** What the person is told about a refused passkey answer. */
  static String detail(Reason reason) {
    return switch (reason) {
      case CHALLENGE -> "This passkey request expired or was already used. Try again.";
      case ORIGIN, TYPE -> "This passkey answer was not made for this page.";
      case RP_ID -> "This passkey belongs to another website.";
      case USER_PRESENCE, USER_VERIFICATION ->
          "Your passkey did not confirm it was you (with a PIN, fingerprint or face). Try again.";
      case CREDENTIAL -> "This passkey is not one of this account's passkeys.";
      case ALGORITHM -> "This passkey uses a kind of key that Gatehouse does not accept.";
      case COUNTER -> "This passkey was refused: its use counter went backwards, which can mean it was copied.";
      case CANCELLED -> "No passkey was used: it was cancelled, or took too long.";
      case SIGNATURE, INVALID -> "This passkey answer did not verify. Try again.";
    };
  }

  /** A registration refused is the person's own doing: 400, nothing stored. */
  static Problem registrationRefused(Reason reason) {
    return Problem.badRequest("passkey_refused", detail(reason)).with("reason", reason.code());
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
