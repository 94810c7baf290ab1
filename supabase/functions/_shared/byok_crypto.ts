// AES-256-GCM for stored provider keys, with WebCrypto only.
//
// Ciphertext: v1.<kid>.<iv>.<ciphertext+tag>, base64url without padding. The key id
// names the BYOK_KEYS entry, so old rows stay readable while a new key is active
// (rotation). The additional authenticated data binds a value to its row: user,
// service and key name. A ciphertext copied anywhere else fails authentication.

export const VERSION = "v1";
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
const IV_BYTES = 12; // 96 bits, the size GCM is designed for
const TAG_BYTES = 16;

/** The keyring is missing or unusable; the function must not start. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(
      `${message}. BYOK_KEYS is a JSON object of key id -> base64 of 32 random bytes ` +
        `(e.g. {"k1":"<openssl rand -base64 32>"}); BYOK_ACTIVE_KID names the one new values use.`,
    );
    this.name = "KeyringError";
  }
}

export type DecryptFailure = "malformed" | "unknown_kid" | "not_authentic";

/** A stored value that cannot be decrypted, and why. */
export class DecryptError extends Error {
  constructor(readonly reason: DecryptFailure, message: string) {
    super(message);
    this.name = "DecryptError";
  }
}

/** What a ciphertext is bound to; it must be the row that stores it. */
export interface Binding {
  userId: string;
  service: string;
  keyName: string;
}

export interface Keyring {
  readonly activeKid: string;
  readonly kids: readonly string[];
  readonly keys: ReadonlyMap<string, CryptoKey>;
}

export function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict base64url (no padding) decoding; null when the text is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function decodeKeyMaterial(kid: string, value: unknown): Uint8Array {
  if (typeof value !== "string") throw new KeyringError(`BYOK_KEYS.${kid} is not a string`);
  const text = value.trim().replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const bytes = fromBase64Url(text);
  if (!bytes) throw new KeyringError(`BYOK_KEYS.${kid} is not base64`);
  if (bytes.length !== 32) {
    throw new KeyringError(
      `BYOK_KEYS.${kid} is ${bytes.length} bytes; AES-256 needs exactly 32`,
    );
  }
  return bytes;
}

/**
 * Reads BYOK_KEYS and BYOK_ACTIVE_KID. Anything missing, short or malformed throws
 * a KeyringError: a function that stores secrets must not start without its keys.
 */
export async function loadKeyring(
  get: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<Keyring> {
  const raw = get("BYOK_KEYS");
  if (!raw) throw new KeyringError("BYOK_KEYS is not set");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new KeyringError("BYOK_KEYS is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new KeyringError("BYOK_KEYS is not a JSON object");
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) throw new KeyringError("BYOK_KEYS has no keys");
  const seen = new Map<string, string>();
  const keys = new Map<string, CryptoKey>();
  for (const [kid, value] of entries) {
    if (!KID.test(kid)) {
      throw new KeyringError(`BYOK_KEYS key id '${kid}' must be 1-32 of A-Z a-z 0-9 _ -`);
    }
    const material = decodeKeyMaterial(kid, value);
    const fingerprint = toBase64Url(material);
    const twin = seen.get(fingerprint);
    if (twin) throw new KeyringError(`BYOK_KEYS.${kid} is the same key as BYOK_KEYS.${twin}`);
    seen.set(fingerprint, kid);
    keys.set(
      kid,
      await crypto.subtle.importKey("raw", material as BufferSource, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]),
    );
  }
  const activeKid = get("BYOK_ACTIVE_KID");
  if (!activeKid) throw new KeyringError("BYOK_ACTIVE_KID is not set");
  if (!keys.has(activeKid)) {
    throw new KeyringError(`BYOK_ACTIVE_KID '${activeKid}' is not a key id of BYOK_KEYS`);
  }
  return { activeKid, kids: [...keys.keys()], keys };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

// A fixed-shape, unambiguous encoding of the row identity (JSON escapes every part).
const aad = (b: Binding) =>
  encoder.encode(JSON.stringify(["api_keys", VERSION, b.userId, b.service, b.keyName]));

/** Encrypts `plaintext` for one row under the active key, with a fresh random IV. */
export async function encryptSecret(
  keyring: Keyring,
  plaintext: string,
  binding: Binding,
): Promise<string> {
  const kid = keyring.activeKid;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(binding), tagLength: TAG_BYTES * 8 },
    keyring.keys.get(kid)!,
    encoder.encode(plaintext),
  );
  return `${VERSION}.${kid}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** The key id a ciphertext names, or null when it is not a v1 ciphertext. */
export function keyIdOf(ciphertext: string): string | null {
  const parts = ciphertext.split(".");
  return parts.length === 4 && parts[0] === VERSION && KID.test(parts[1]) ? parts[1] : null;
}

/** Decrypts a value stored for `binding`; throws DecryptError, never returns garbage. */
export async function decryptSecret(
  keyring: Keyring,
  ciphertext: string,
  binding: Binding,
): Promise<string> {
  const parts = ciphertext.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new DecryptError("malformed", `not a ${VERSION} ciphertext`);
  }
  const [, kid, ivText, sealedText] = parts;
  if (!KID.test(kid)) throw new DecryptError("malformed", "the key id part is malformed");
  const iv = fromBase64Url(ivText);
  const sealed = fromBase64Url(sealedText);
  if (!iv || iv.length !== IV_BYTES) throw new DecryptError("malformed", "the IV is malformed");
  if (!sealed || sealed.length < TAG_BYTES) {
    throw new DecryptError("malformed", "the ciphertext part is malformed");
  }
  const key = keyring.keys.get(kid);
  if (!key) {
    throw new DecryptError(
      "unknown_kid",
      `the value is encrypted under key id '${kid}', which BYOK_KEYS does not hold ` +
        `(it holds ${keyring.kids.join(", ")}); restore that key to read it`,
    );
  }
  let opened: ArrayBuffer;
  try {
    opened = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: iv as BufferSource,
        additionalData: aad(binding),
        tagLength: TAG_BYTES * 8,
      },
      key,
      sealed as BufferSource,
    );
  } catch {
    throw new DecryptError(
      "not_authentic",
      "the value does not authenticate: it was altered or belongs to another row",
    );
  }
  try {
    return decoder.decode(opened);
  } catch {
    throw new DecryptError("malformed", "the decrypted value is not UTF-8");
  }
}
