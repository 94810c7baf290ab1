// GET /functions/v1/health: proves the whole request path works for the caller:
// JWT verified, database reachable, claims and role applied, pgvector installed.

import { defineFunction } from "../_shared/function.ts";

interface HealthRow {
  user_id: string | null;
  role: string;
  pgvector: string | null;
}

const fn = defineFunction("health");
const app = fn.routes("user");

app.get("/", async (c) => {
  // Read under the caller's identity: auth.uid() and current_user come from the
  // settings db.ts sends with this query.
  const [row]: HealthRow[] = await c.var.db.query`
    select auth.uid()::text as user_id,
           current_user::text as role,
           (select extversion from pg_catalog.pg_extension where extname = 'vector') as pgvector`;
  return c.json({ user_id: row.user_id, role: row.role, db: "ok", pgvector: row.pgvector });
});

export default fn;
