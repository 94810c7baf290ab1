// The verified-token cache of the user routes (supabase/functions/_shared/auth.ts):
// a remembered token must stop working when it expires, and nothing but the exact
// verified header may hit the cache.

import assert from "node:assert/strict";
import { VerifiedTokens } from "../supabase/functions/_shared/auth.ts";
import { newUser, tokenWith } from "../harness/stack.ts";
import { call } from "./support.ts";

const claims = (exp?: number) => ({ sub: "u", role: "authenticated", ...(exp ? { exp } : {}) });

Deno.test("VerifiedTokens keeps a token until its exp, and never past the max age", () => {
  const cache = new VerifiedTokens(10, 60_000);
  const now = 1_000_000_000_000;
  cache.remember("a", claims(now / 1000 + 5), now);
  assert.equal(cache.get("a", now + 4_999)?.sub, "u");
  assert.equal(cache.get("a", now + 5_000), undefined, "expired at exp");
  assert.equal(cache.size, 0, "an expired entry is dropped");

  cache.remember("b", claims(now / 1000 + 3600), now);
  assert.ok(cache.get("b", now + 59_999));
  assert.equal(cache.get("b", now + 60_000), undefined, "max age bounds a long-lived token");

  cache.remember("c", claims(), now);
  assert.ok(cache.get("c", now + 1), "a token without exp lives for the max age");
  assert.equal(cache.get("c", now + 60_000), undefined);

  cache.remember("d", claims(now / 1000 - 1), now);
  assert.equal(cache.size, 0, "an already expired token is not stored");
});

Deno.test("VerifiedTokens evicts the oldest entry when full; max age 0 disables it", () => {
  const cache = new VerifiedTokens(3, 60_000);
  for (const t of ["t1", "t2", "t3", "t4"]) cache.remember(t, claims(), 0);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("t1", 1), undefined);
  assert.ok(cache.get("t4", 1));

  const off = new VerifiedTokens(3, 0);
  off.remember("t", claims(), 0);
  assert.equal(off.size, 0);
});

Deno.test("a verified token stops working at its exp, cached or not", async () => {
  const user = await newUser("expiring");
  const now = Math.floor(Date.now() / 1000);
  const token = await tokenWith(user, { claims: { exp: now + 2, iat: now } });
  const first = await call("/trips", { token });
  assert.equal(first.status, 200, "valid before exp");
  assert.equal((await call("/trips", { token })).status, 200, "and again (from the cache)");
  // Past exp (whole seconds) plus a margin for the clock's rounding.
  await new Promise((r) => setTimeout(r, (now + 3) * 1000 - Date.now() + 200));
  const late = await call("/trips", { token });
  assert.equal(late.status, 401);
  assert.equal((late.body as { code: string }).code, "INVALID_JWT");
});

Deno.test("a cached token does not vouch for a variant of it", async () => {
  const user = await newUser("variant");
  const token = await tokenWith(user, {});
  assert.equal((await call("/trips", { token })).status, 200);
  const [h, p, s] = token.split(".");
  const flipped = s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
  for (
    const variant of [
      `${h}.${p}.${flipped}`,
      `${h}.${p}.`,
      `${h}.${p}`,
      `${h}.${p}.${s}x`,
    ]
  ) {
    const res = await call("/trips", { token: variant });
    assert.equal(res.status, 401, `variant ${variant.slice(-12)}`);
  }
});
