// The BYOK envelope: keyring loading, the ciphertext format, and attempts to break it.
import assert from "node:assert/strict";
import {
  type Binding,
  DecryptError,
  decryptSecret,
  encryptSecret,
  fromBase64Url,
  keyIdOf,
  type Keyring,
  KeyringError,
  loadKeyring,
  toBase64Url,
} from "../supabase/functions/_shared/byok_crypto.ts";

const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const K0 = randomKey();
const K1 = randomKey();
const envOf = (vars: Record<string, string | undefined>) => (n: string) => vars[n];
const ring = (active: string) =>
  loadKeyring(envOf({ BYOK_KEYS: JSON.stringify({ k0: K0, k1: K1 }), BYOK_ACTIVE_KID: active }));
const ALICE: Binding = {
  userId: "7c6c2f4e-1111-4d3c-9d7e-0a0b0c0d0e0f",
  service: "openai",
  keyName: "main",
};

// The same pattern as the api_keys_encrypted_value_format check constraint.
const STORED_FORMAT = /^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;

async function refused(promise: Promise<unknown>, reason: DecryptError["reason"]) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DecryptError, `expected a DecryptError, got ${e}`);
    assert.equal(e.reason, reason, e.message);
    return true;
  });
}

Deno.test("keyring: a missing, short or malformed keyring is refused with a clear error", async () => {
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ BYOK_ACTIVE_KID: "k1" }, /BYOK_KEYS is not set/],
    [{ BYOK_KEYS: "{k1:", BYOK_ACTIVE_KID: "k1" }, /not valid JSON/],
    [{ BYOK_KEYS: `["${K1}"]`, BYOK_ACTIVE_KID: "k1" }, /not a JSON object/],
    [{ BYOK_KEYS: "{}", BYOK_ACTIVE_KID: "k1" }, /has no keys/],
    [{ BYOK_KEYS: JSON.stringify({ "k.1": K1 }), BYOK_ACTIVE_KID: "k.1" }, /key id 'k\.1'/],
    [{ BYOK_KEYS: JSON.stringify({ k1: 42 }), BYOK_ACTIVE_KID: "k1" }, /k1 is not a string/],
    [{ BYOK_KEYS: JSON.stringify({ k1: "not base64!" }), BYOK_ACTIVE_KID: "k1" }, /not base64/],
    [
      { BYOK_KEYS: JSON.stringify({ k1: btoa("sixteen byte key") }), BYOK_ACTIVE_KID: "k1" },
      /16 bytes; AES-256 needs exactly 32/,
    ],
    [
      { BYOK_KEYS: JSON.stringify({ k1: btoa("x".repeat(33)) }), BYOK_ACTIVE_KID: "k1" },
      /33 bytes/,
    ],
    [
      { BYOK_KEYS: JSON.stringify({ k1: K1, k2: K1 }), BYOK_ACTIVE_KID: "k1" },
      /k2 is the same key as BYOK_KEYS\.k1/,
    ],
    [{ BYOK_KEYS: JSON.stringify({ k1: K1 }) }, /BYOK_ACTIVE_KID is not set/],
    [{ BYOK_KEYS: JSON.stringify({ k1: K1 }), BYOK_ACTIVE_KID: "k2" }, /'k2' is not a key id/],
  ];
  for (const [vars, message] of cases) {
    await assert.rejects(loadKeyring(envOf(vars)), (e: unknown) => {
      assert.ok(e instanceof KeyringError, `${JSON.stringify(vars)}: ${e}`);
      assert.match(e.message, message);
      assert.match(e.message, /openssl rand -base64 32/, "the error says how to make a key");
      return true;
    });
  }
  // Standard base64 and base64url are both accepted.
  const url = K1.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const ok = await loadKeyring(
    envOf({ BYOK_KEYS: JSON.stringify({ a: K0, b: url }), BYOK_ACTIVE_KID: "b" }),
  );
  assert.deepEqual(ok.kids, ["a", "b"]);
});

Deno.test("keyring: a function with a broken keyring does not start", async () => {
  const entry = new URL("../supabase/functions/api-keys/index.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `await import(${JSON.stringify(entry)})`],
    env: { BYOK_KEYS: JSON.stringify({ k1: btoa("too short") }), BYOK_ACTIVE_KID: "k1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, false, "the import must fail");
  assert.match(new TextDecoder().decode(out.stderr), /KeyringError: BYOK_KEYS\.k1 is 9 bytes/);
});

Deno.test("crypto: round trip, format, and the key id in the ciphertext", async () => {
  const keyring = await ring("k1");
  for (const value of ["sk-proj-abc123", "ключ-🔑-鍵", "x".repeat(1024)]) {
    const sealed = await encryptSecret(keyring, value, ALICE);
    assert.match(sealed, STORED_FORMAT);
    assert.ok(!sealed.includes(value));
    assert.equal(keyIdOf(sealed), "k1");
    assert.equal(await decryptSecret(keyring, sealed, ALICE), value);
  }
  // A value sealed under the old key reads back after k1 became active (rotation).
  const old = await encryptSecret(await ring("k0"), "sk-old", ALICE);
  assert.equal(keyIdOf(old), "k0");
  assert.equal(await decryptSecret(keyring, old, ALICE), "sk-old");
});

Deno.test("crypto: no IV repeats across 10,000 encryptions of the same value", async () => {
  const keyring = await ring("k1");
  const ivs = new Set<string>();
  const bodies = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const [, , iv, body] = (await encryptSecret(keyring, "sk-same-value", ALICE)).split(".");
    assert.equal(fromBase64Url(iv)!.length, 12);
    ivs.add(iv);
    bodies.add(body);
  }
  assert.equal(ivs.size, 10_000);
  assert.equal(bodies.size, 10_000, "fresh IVs give distinct ciphertexts of one value");
});

function flipBit(part: string, bit: number): string {
  const bytes = fromBase64Url(part)!;
  bytes[Math.floor(bit / 8)] ^= 1 << (bit % 8);
  return toBase64Url(bytes);
}

Deno.test("crypto: any flipped bit in the IV, ciphertext or tag is refused", async () => {
  const keyring = await ring("k1");
  const sealed = await encryptSecret(keyring, "sk-a-secret-to-protect", ALICE);
  const [v, kid, iv, body] = sealed.split(".");
  const bodyBits = fromBase64Url(body)!.length * 8;
  const tagStart = bodyBits - 128;
  for (let bit = 0; bit < 96; bit += 7) {
    await refused(
      decryptSecret(keyring, [v, kid, flipBit(iv, bit), body].join("."), ALICE),
      "not_authentic",
    );
  }
  for (let bit = 0; bit < tagStart; bit += 5) {
    await refused(
      decryptSecret(keyring, [v, kid, iv, flipBit(body, bit)].join("."), ALICE),
      "not_authentic",
    );
  }
  for (let bit = tagStart; bit < bodyBits; bit += 3) {
    await refused(
      decryptSecret(keyring, [v, kid, iv, flipBit(body, bit)].join("."), ALICE),
      "not_authentic",
    );
  }
  // Truncated tag, swapped key id, other version, wrong shapes.
  await refused(
    decryptSecret(keyring, [v, kid, iv, body.slice(0, -4)].join("."), ALICE),
    "not_authentic",
  );
  await refused(decryptSecret(keyring, [v, "k0", iv, body].join("."), ALICE), "not_authentic");
  await refused(decryptSecret(keyring, ["v2", kid, iv, body].join("."), ALICE), "malformed");
  await refused(decryptSecret(keyring, [v, kid, iv].join("."), ALICE), "malformed");
  await refused(decryptSecret(keyring, [v, kid, iv + "AA", body].join("."), ALICE), "malformed");
  await refused(decryptSecret(keyring, [v, kid, "!!!!", body].join("."), ALICE), "malformed");
  await refused(decryptSecret(keyring, [v, kid, iv, "AAAA"].join("."), ALICE), "malformed");
  assert.equal(await decryptSecret(keyring, sealed, ALICE), "sk-a-secret-to-protect");
});

Deno.test("crypto: a ciphertext moved to another row or user is refused", async () => {
  const keyring: Keyring = await ring("k1");
  const sealed = await encryptSecret(keyring, "sk-bound-to-its-row", ALICE);
  const elsewhere: Binding[] = [
    { ...ALICE, userId: "7c6c2f4e-2222-4d3c-9d7e-0a0b0c0d0e0f" },
    { ...ALICE, service: "anthropic" },
    { ...ALICE, keyName: "backup" },
    { ...ALICE, keyName: "main " },
  ];
  for (const b of elsewhere) await refused(decryptSecret(keyring, sealed, b), "not_authentic");
});

Deno.test("crypto: an unknown key id is a clear error naming it", async () => {
  const sealed = await encryptSecret(await ring("k1"), "sk-from-elsewhere", ALICE);
  const onlyK0 = await loadKeyring(
    envOf({ BYOK_KEYS: JSON.stringify({ k0: K0 }), BYOK_ACTIVE_KID: "k0" }),
  );
  await assert.rejects(decryptSecret(onlyK0, sealed, ALICE), (e: unknown) => {
    assert.ok(e instanceof DecryptError && e.reason === "unknown_kid");
    assert.match(
      e.message,
      /encrypted under key id 'k1', which BYOK_KEYS does not hold \(it holds k0\)/,
    );
    return true;
  });
});
