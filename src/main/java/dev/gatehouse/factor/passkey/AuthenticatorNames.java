package dev.gatehouse.factor.passkey;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The names of common passkey providers by the AAGUID their passkeys carry, from the community list at
 * github.com/passkeydeveloper/passkey-authenticator-aaguids. An unknown or all-zero AAGUID has no name:
 * the list shows the person's own name for the passkey alone rather than a guess.
 */
final class AuthenticatorNames {

  private static final Map<UUID, String> NAMES = Map.ofEntries(
      entry("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
      entry("dd4ec289-e01d-41c9-bb89-70fa845d4bf2", "iCloud Keychain (Managed)"),
      entry("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "Google Password Manager"),
      entry("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
      entry("b5397666-4885-aa6b-cebf-e52262a439a2", "Chromium Browser"),
      entry("771b48fd-d3d4-4f74-9232-fc157ab0507a", "Edge on Mac"),
      entry("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
      entry("9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"),
      entry("6028b017-b1d4-4c02-b4b3-afcdafc96bb2", "Windows Hello"),
      entry("d3452668-01fd-4c12-926c-83a4204853aa", "Microsoft Password Manager"),
      entry("53414d53-554e-4700-0000-000000000000", "Samsung Pass"),
      entry("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
      entry("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
      entry("531126d6-e717-415c-9320-3d9aa6981239", "Dashlane"),
      entry("b78a0a55-6ef8-d246-a042-ba0f6d55050c", "LastPass"),
      entry("50726f74-6f6e-5061-7373-50726f746f6e", "Proton Pass"),
      entry("b84e4048-15dc-4dd0-8640-f4f60813c8af", "NordPass"),
      entry("0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6", "Keeper"),
      entry("fdb141b2-5d84-443e-8a35-4698c205a502", "KeePassXC"));

  private AuthenticatorNames() {
  }

  static Optional<String> of(UUID aaguid) {
    return aaguid == null ? Optional.empty() : Optional.ofNullable(NAMES.get(aaguid));
  }

  private static Map.Entry<UUID, String> entry(String aaguid, String name) {
    return Map.entry(UUID.fromString(aaguid), name);
  }
}
