// What a URL may carry: control characters in a query value, a query name or a path
// segment are a 400 naming the parameter, before any query or upstream call (Postgres
// refuses NUL; none belongs in a URL); the parameters supabase-js adds on its own
// (`forceFunctionRegion` with `x-region`, its `region` option) are accepted and ignored.
import assert from "node:assert/strict";
import { FunctionRegion } from "@supabase/supabase-js";
import { newUser } from "../harness/stack.ts";
import { call, client } from "./support.ts";

Deno.test("URLs: control characters are a 400 naming the parameter, on every kind of route", async () => {
  const user = await newUser("url-nul");
  const cases: [string, string][] = [
    ["/trips?destination=%00", "destination"],
    ["/trips?cursor=%00", "cursor"],
    ["/memories?cursor=%00", "cursor"],
    ["/memories?limit=1%0A", "limit"],
    ["/chat/sessions?cursor=a%7Fb", "cursor"],
    ["/api-keys?unknown=%01", "unknown"],
    ["/trips/1001?ignored=%1F", "ignored"],
    ["/trips/%00", "segment 2"],
    ["/memories/%0D%0A", "segment 2"],
  ];
  for (const [path, field] of cases) {
    const r = await call(path, { token: user.token });
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    const body = r.body as { code: string; details: { fields: { field: string }[] } };
    assert.equal(body.code, "VALIDATION_FAILED", path);
    assert.equal(body.details.fields[0].field, field, path);
  }
  // Before authentication too: nothing reaches the database.
  assert.equal((await call("/trips?cursor=%00")).status, 400);
});

Deno.test("URLs: supabase-js's region option works on every function", async () => {
  const user = await newUser("url-region");
  const sdk = client(user);
  for (const path of ["health", "trips", "memories", "api-keys", "chat/sessions"]) {
    const { data, error, response } = await sdk.functions.invoke(path, {
      method: "GET",
      region: FunctionRegion.UsEast1,
    });
    assert.equal(error, null, `${path}: ${error}`);
    assert.equal(response?.status, 200, path);
    assert.ok(data, path);
  }
  // The preflight a browser sends for it is allowed.
  const pre = await call("/trips", {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "authorization, x-client-info, x-region",
    },
  });
  assert.equal(pre.status, 204);
  assert.match(
    String(pre.headers.get("access-control-allow-headers")),
    /(^|, )x-region(,|$)/,
  );
});
