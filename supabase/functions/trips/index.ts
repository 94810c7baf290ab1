// /functions/v1/trips: trip CRUD, sharing by invitation, and a trip's flights,
// accommodations and itinerary items. Each request is one RPC; RLS and the RPCs decide
// what the caller may do.

import { allowOnly, defineFunction } from "../_shared/function.ts";
import { ApiError } from "../_shared/errors.ts";
import { parseBody, parseParams, parseQuery } from "../_shared/validation.ts";
import {
  childListQuery,
  childParams,
  CHILDREN,
  collaboratorParams,
  collaboratorPatch,
  invitationCreate,
  invitationParams,
  myInvitationParams,
  tripCreate,
  tripListQuery,
  tripParams,
  tripPatch,
} from "./schemas.ts";

type Row = { r: unknown };
const fn = defineFunction("trips");
const app = fn.routes("user");

app.get("/", async (c) => {
  const q = parseQuery(c, tripListQuery);
  const [row]: Row[] = await c.var.db.query`
    select public.list_trips(${q.status ?? null}, ${q.trip_type ?? null}, ${q.destination ?? null},
      ${q.start_from ?? null}::date, ${q.start_to ?? null}::date, ${q.sort}, ${q.limit},
      ${q.cursor ?? null}) as r`;
  return c.json(row.r);
});

app.post("/", async (c) => {
  const body = await parseBody(c, tripCreate);
  const [row]: Row[] = await c.var.db.query`
    select public.create_trip(${JSON.stringify(body)}::jsonb) as r`;
  return c.json(row.r, 201);
});
allowOnly(app, "/", ["GET", "POST"]);

// The caller's own invitations; registered before /:id, which would take the segment.
app.get("/invitations", async (c) => {
  const [row]: Row[] = await c.var.db.query`select public.list_my_invitations() as r`;
  return c.json(row.r);
});
allowOnly(app, "/invitations", ["GET"]);

for (const [action, accept] of [["accept", true], ["decline", false]] as const) {
  app.post(`/invitations/:invitationId/${action}`, async (c) => {
    const { invitationId } = parseParams(c, myInvitationParams);
    const [row]: Row[] = await c.var.db.query`
      select public.respond_to_trip_invitation(${invitationId}::bigint, ${accept}) as r`;
    // Refused because the inviter can no longer share: the invitation is now revoked
    // (committed with the answer, so it cannot come back as pending).
    const refused = (row.r as { refused?: string }).refused;
    if (refused) throw new ApiError(409, "CONFLICT", refused, { details: { status: "revoked" } });
    return c.json(row.r);
  });
  allowOnly(app, `/invitations/:invitationId/${action}`, ["POST"]);
}

app.get("/:id", async (c) => {
  const { id } = parseParams(c, tripParams);
  const [row]: Row[] = await c.var.db.query`select public.get_trip(${id}::bigint) as r`;
  return c.json(row.r);
});

app.patch("/:id", async (c) => {
  const { id } = parseParams(c, tripParams);
  const body = await parseBody(c, tripPatch);
  const [row]: Row[] = await c.var.db.query`
    select public.update_trip(${id}::bigint, ${JSON.stringify(body)}::jsonb) as r`;
  return c.json(row.r);
});

app.delete("/:id", async (c) => {
  const { id } = parseParams(c, tripParams);
  await c.var.db.query`select public.delete_trip(${id}::bigint)`;
  return c.body(null, 204);
});
allowOnly(app, "/:id", ["GET", "PATCH", "DELETE"]);

app.get("/:id/collaborators", async (c) => {
  const { id } = parseParams(c, tripParams);
  const [row]: Row[] = await c.var.db.query`
    select public.list_trip_collaborators(${id}::bigint) as r`;
  return c.json(row.r);
});

allowOnly(app, "/:id/collaborators", ["GET"]);

app.patch("/:id/collaborators/:userId", async (c) => {
  const { id, userId } = parseParams(c, collaboratorParams);
  const body = await parseBody(c, collaboratorPatch);
  const [row]: Row[] = await c.var.db.query`
    select public.update_trip_collaborator(${id}::bigint, ${userId}::uuid, ${body.permission_level}) as r`;
  return c.json(row.r);
});

app.delete("/:id/collaborators/:userId", async (c) => {
  const { id, userId } = parseParams(c, collaboratorParams);
  await c.var.db.query`select public.remove_trip_collaborator(${id}::bigint, ${userId}::uuid)`;
  return c.body(null, 204);
});
allowOnly(app, "/:id/collaborators/:userId", ["PATCH", "DELETE"]);

app.get("/:id/invitations", async (c) => {
  const { id } = parseParams(c, tripParams);
  const [row]: Row[] = await c.var.db.query`
    select public.list_trip_invitations(${id}::bigint) as r`;
  return c.json(row.r);
});

app.post("/:id/invitations", async (c) => {
  const { id } = parseParams(c, tripParams);
  const body = await parseBody(c, invitationCreate);
  const [row]: Row[] = await c.var.db.query`
    select public.invite_to_trip(${id}::bigint, ${body.email}, ${body.permission_level}) as r`;
  return c.json(row.r, 201);
});
allowOnly(app, "/:id/invitations", ["GET", "POST"]);

app.delete("/:id/invitations/:invitationId", async (c) => {
  const { id, invitationId } = parseParams(c, invitationParams);
  await c.var.db.query`
    select public.revoke_trip_invitation(${id}::bigint, ${invitationId}::bigint)`;
  return c.body(null, 204);
});
allowOnly(app, "/:id/invitations/:invitationId", ["DELETE"]);

for (const [segment, child] of Object.entries(CHILDREN)) {
  app.get(`/:id/${segment}`, async (c) => {
    const { id } = parseParams(c, tripParams);
    const q = parseQuery(c, childListQuery);
    const [row]: Row[] = await c.var.db.query`
      select public.list_trip_children(${id}::bigint, ${child.kind}, ${q.limit},
        ${q.cursor ?? null}::bigint) as r`;
    return c.json(row.r);
  });

  app.post(`/:id/${segment}`, async (c) => {
    const { id } = parseParams(c, tripParams);
    const body = await parseBody(c, child.create);
    const [row]: Row[] = await c.var.db.query`
      select public.create_trip_child(${id}::bigint, ${child.kind}, ${
      JSON.stringify(body)
    }::jsonb) as r`;
    return c.json(row.r, 201);
  });
  allowOnly(app, `/:id/${segment}`, ["GET", "POST"]);

  app.patch(`/:id/${segment}/:childId`, async (c) => {
    const { id, childId } = parseParams(c, childParams);
    const body = await parseBody(c, child.patch);
    const [row]: Row[] = await c.var.db.query`
      select public.update_trip_child(${id}::bigint, ${child.kind}, ${childId}::bigint,
        ${JSON.stringify(body)}::jsonb) as r`;
    return c.json(row.r);
  });

  app.delete(`/:id/${segment}/:childId`, async (c) => {
    const { id, childId } = parseParams(c, childParams);
    await c.var.db.query`
      select public.delete_trip_child(${id}::bigint, ${child.kind}, ${childId}::bigint)`;
    return c.body(null, 204);
  });
  allowOnly(app, `/:id/${segment}/:childId`, ["PATCH", "DELETE"]);
}

export default fn;
