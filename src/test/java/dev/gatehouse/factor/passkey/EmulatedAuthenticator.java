package dev.gatehouse.factor.passkey;

import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.data.AttestationConveyancePreference;
import com.webauthn4j.data.AuthenticatorAssertionResponse;
import com.webauthn4j.data.AuthenticatorAttestationResponse;
import com.webauthn4j.data.AuthenticatorSelectionCriteria;
import com.webauthn4j.data.AuthenticatorTransport;
import com.webauthn4j.data.PublicKeyCredential;
import com.webauthn4j.data.PublicKeyCredentialCreationOptions;
import com.webauthn4j.data.PublicKeyCredentialDescriptor;
import com.webauthn4j.data.PublicKeyCredentialParameters;
import com.webauthn4j.data.PublicKeyCredentialRequestOptions;
import com.webauthn4j.data.PublicKeyCredentialRpEntity;
import com.webauthn4j.data.PublicKeyCredentialType;
import com.webauthn4j.data.PublicKeyCredentialUserEntity;
import com.webauthn4j.data.ResidentKeyRequirement;
import com.webauthn4j.data.UserVerificationRequirement;
import com.webauthn4j.data.attestation.authenticator.AAGUID;
import com.webauthn4j.data.attestation.statement.COSEAlgorithmIdentifier;
import com.webauthn4j.data.client.Origin;
import com.webauthn4j.data.client.challenge.DefaultChallenge;
import com.webauthn4j.data.extension.client.AuthenticationExtensionClientOutput;
import com.webauthn4j.data.extension.client.RegistrationExtensionClientOutput;
import com.webauthn4j.test.authenticator.webauthn.NoneAttestationAuthenticator;
import com.webauthn4j.test.authenticator.webauthn.WebAuthnAuthenticatorAdaptor;
import com.webauthn4j.test.client.ClientPlatform;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A browser with a passkey provider, for the tests: webauthn4j-test's model authenticator behind its client
 * platform. It takes the options exactly as Gatehouse sends them (the W3C JSON form) and answers what
 * {@code navigator.credentials.create()} and {@code get()} would, as {@code PublicKeyCredential.toJSON()}.
 * A test can make it misbehave as an attacker's client would: sign on another origin, for another
 * relying party, without user verification, or with its counter held still.
 */
final class EmulatedAuthenticator {

  private final NoneAttestationAuthenticator authenticator;
  private final ClientPlatform client;

  EmulatedAuthenticator(String origin) {
    this(origin, null, true);
  }

  /** {@code aaguid}: the model it claims to be (null: all zeros); {@code canVerify}: has a PIN or biometrics. */
  EmulatedAuthenticator(String origin, UUID aaguid, boolean canVerify) {
    this.authenticator = new NoneAttestationAuthenticator(aaguid == null ? AAGUID.ZERO : new AAGUID(aaguid), 0,
        canVerify, new ObjectConverter());
    this.client = new ClientPlatform(new Origin(origin), new WebAuthnAuthenticatorAdaptor(authenticator));
  }

  /** The page the browser is on from now: a look-alike site, say. */
  EmulatedAuthenticator on(String origin) {
    client.setOrigin(new Origin(origin));
    return this;
  }

  /** A counter that stops moving, as a cloned authenticator's copy would seem to the server. */
  EmulatedAuthenticator counting(boolean enabled) {
    authenticator.setCountUpEnabled(enabled);
    return this;
  }

  /** {@code navigator.credentials.create({publicKey})} with the server's options (the {@code publicKey} member). */
  JsonObject create(JsonObject options) {
    JsonObject rp = options.getJsonObject("rp");
    JsonObject user = options.getJsonObject("user");
    JsonObject selection = options.getJsonObject("authenticatorSelection");
    List<PublicKeyCredentialParameters> algorithms = new ArrayList<>();
    options.getJsonArray("pubKeyCredParams").forEach(p -> algorithms.add(new PublicKeyCredentialParameters(
        PublicKeyCredentialType.PUBLIC_KEY, COSEAlgorithmIdentifier.create(((JsonObject) p).getLong("alg")))));
    PublicKeyCredentialCreationOptions creation = new PublicKeyCredentialCreationOptions(
        new PublicKeyCredentialRpEntity(rp.getString("id"), rp.getString("name")),
        new PublicKeyCredentialUserEntity(decode(user.getString("id")), user.getString("name"),
            user.getString("displayName")),
        new DefaultChallenge(decode(options.getString("challenge"))),
        algorithms,
        options.getLong("timeout"),
        descriptors(options.getJsonArray("excludeCredentials")),
        new AuthenticatorSelectionCriteria(null, selection.getBoolean("requireResidentKey"),
            ResidentKeyRequirement.create(selection.getString("residentKey")),
            UserVerificationRequirement.create(selection.getString("userVerification"))),
        AttestationConveyancePreference.create(options.getString("attestation")),
        null);
    PublicKeyCredential<AuthenticatorAttestationResponse, RegistrationExtensionClientOutput> made =
        client.create(creation);
    return new JsonObject()
        .put("id", encode(made.getRawId()))
        .put("rawId", encode(made.getRawId()))
        .put("type", "public-key")
        .put("response", new JsonObject()
            .put("clientDataJSON", encode(made.getResponse().getClientDataJSON()))
            .put("attestationObject", encode(made.getResponse().getAttestationObject()))
            .put("transports", new JsonArray().add("internal").add("hybrid")))
        .put("clientExtensionResults", new JsonObject());
  }

  /** {@code navigator.credentials.get({publicKey})} with the server's options. */
  JsonObject get(JsonObject options) {
    PublicKeyCredentialRequestOptions request = new PublicKeyCredentialRequestOptions(
        new DefaultChallenge(decode(options.getString("challenge"))),
        options.getLong("timeout"),
        options.getString("rpId"),
        descriptors(options.getJsonArray("allowCredentials")),
        UserVerificationRequirement.create(options.getString("userVerification")),
        null);
    PublicKeyCredential<AuthenticatorAssertionResponse, AuthenticationExtensionClientOutput> made = client.get(request);
    AuthenticatorAssertionResponse response = made.getResponse();
    return new JsonObject()
        .put("id", encode(made.getRawId()))
        .put("rawId", encode(made.getRawId()))
        .put("type", "public-key")
        .put("response", new JsonObject()
            .put("clientDataJSON", encode(response.getClientDataJSON()))
            .put("authenticatorData", encode(response.getAuthenticatorData()))
            .put("signature", encode(response.getSignature()))
            .put("userHandle", response.getUserHandle() == null ? null : encode(response.getUserHandle())))
        .put("clientExtensionResults", new JsonObject());
  }

  private static List<PublicKeyCredentialDescriptor> descriptors(JsonArray list) {
    List<PublicKeyCredentialDescriptor> out = new ArrayList<>();
    if (list != null) {
      for (Object item : list) {
        JsonObject d = (JsonObject) item;
        Set<AuthenticatorTransport> transports = new HashSet<>();
        d.getJsonArray("transports", new JsonArray()).forEach(t -> transports.add(AuthenticatorTransport.create((String) t)));
        out.add(new PublicKeyCredentialDescriptor(PublicKeyCredentialType.PUBLIC_KEY, decode(d.getString("id")), transports));
      }
    }
    return out;
  }

  static byte[] decode(String base64url) {
    return Base64.getUrlDecoder().decode(base64url);
  }

  static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
