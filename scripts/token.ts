// Prints an access token for a user of the local stack, creating the user in
// auth.users first if needed: ES256, signed by the stack's signing key, with the
// claims Supabase Auth issues. What GoTrue would do at sign-in, minus the password.
//
// Usage: deno run -A --env-file=.local/stack.env scripts/token.ts <email>

import pg from "pg";
import { importJWK, SignJWT } from "jose";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The id of the auth user with this email, created if it does not exist. */
export async function ensureUser(dbUrl: string, email: string): Promise<string> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `with inserted as (
         insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,
                                 raw_app_meta_data, raw_user_meta_data)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
                 'authenticated', $1, now(),
                 '{"provider":"email","providers":["email"]}', '{}')
         on conflict (email) where email is not null do nothing
         returning id)
       select id from inserted
       union all
       select id from auth.users where email = $1
       limit 1`,
      [email],
    );
    return rows[0].id;
  } finally {
    await client.end();
  }
}

export interface TokenOptions {
  supabaseUrl: string;
  signingKey: JsonWebKey & { kid: string };
  /** Seconds from now; negative for an already expired token. */
  expiresIn?: number;
  /** Claims to add or override (tests use this to forge bad tokens). */
  claims?: Record<string, unknown>;
}

/** Signs the access token Supabase Auth would issue for this user. */
export async function signAccessToken(
  userId: string,
  email: string,
  opts: TokenOptions,
): Promise<string> {
  // WebCrypto refuses a private key whose key_ops also lists "verify".
  const { key_ops: _ops, ...jwk } = opts.signingKey;
  const key = await importJWK(jwk, "ES256");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: `${opts.supabaseUrl}/auth/v1`,
    sub: userId,
    aud: "authenticated",
    exp: now + (opts.expiresIn ?? 3600),
    iat: now,
    role: "authenticated",
    email,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    ...opts.claims,
  };
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: opts.signingKey.kid, typ: "JWT" })
    .sign(key);
}

if (import.meta.main) {
  const email = Deno.args[0]?.trim().toLowerCase();
  if (!email || !EMAIL.test(email)) {
    console.error("usage: npm run -s token -- <email>");
    Deno.exit(2);
  }
  const env = (name: string) => {
    const v = Deno.env.get(name);
    if (!v) {
      console.error(`${name} is not set: is the stack running? (npm run dev)`);
      Deno.exit(1);
    }
    return v;
  };
  const signingKey = JSON.parse(await Deno.readTextFile(env("SIGNING_KEY_PATH")));
  try {
    const id = await ensureUser(env("SUPABASE_DB_URL"), email);
    console.log(await signAccessToken(id, email, { supabaseUrl: env("SUPABASE_URL"), signingKey }));
  } catch (e) {
    console.error(`could not mint a token: ${e instanceof Error ? e.message : e}`);
    console.error("is the stack running? (npm run dev)");
    Deno.exit(1);
  }
}
