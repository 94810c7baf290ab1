// The trips API over HTTP, through supabase-js functions.invoke, against the
// running test stack: success paths field by field, validation, permissions.
import assert from "node:assert/strict";
import { newUser, type TestUser } from "../harness/stack.ts";
import { call, client, invoke, withAdminDb } from "./support.ts";

const trip = {
  name: "Cherry blossoms",
  destination: "Kyoto, Japan",
  start_date: "2027-04-01",
  end_date: "2027-04-10",
  budget: 4500.5,
  currency: "JPY",
  travelers: 2,
  trip_type: "family",
  flexibility: { dates: "+-2 days" },
  description: "Temples and gardens",
};

const flight = {
  origin: "SFO",
  destination: "KIX",
  airline: "Japan Airlines",
  flight_number: "JL1",
  departure_time: "2027-04-01T11:00:00Z",
  arrival_time: "2027-04-02T02:00:00Z",
  flight_class: "premium_economy",
  price: 1240.25,
  currency: "USD",
  booking_status: "booked",
};

const stay = {
  name: "Gion Ryokan",
  accommodation_type: "guesthouse",
  check_in_date: "2027-04-02",
  check_out_date: "2027-04-10",
  price_per_night: 180,
  total_price: 1440,
  rating: 4.7,
  amenities: ["onsen", "breakfast"],
};

const item = {
  title: "Fushimi Inari at dawn",
  item_type: "activity",
  item_date: "2027-04-03",
  start_time: "06:00",
  end_time: "09:00",
  location: "Fushimi Inari Taisha",
  price: 0,
  sort_order: 1,
};

/** `from` invites `to` to the trip and `to` accepts: how anyone becomes a member. */
async function share(from: TestUser, tripId: number, to: TestUser, level = "view") {
  const invited = await invoke(from, `trips/${tripId}/invitations`, "POST", {
    email: to.email,
    permission_level: level,
  });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const accepted = await invoke(to, `trips/invitations/${invited.body.id}/accept`, "POST");
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return invited.body;
}

/** A trip owned by `owner`, shared with a viewer, an editor and an admin. */
async function sharedTrip() {
  const [owner, viewer, editor, admin, stranger] = await Promise.all(
    ["owner", "viewer", "editor", "admin", "stranger"].map((l) => newUser(`trips-${l}`)),
  );
  const created = await invoke(owner, "trips", "POST", trip);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as number;
  for (const [u, level] of [[viewer, "view"], [editor, "edit"], [admin, "admin"]] as const) {
    await share(owner, id, u, level);
  }
  return { id, owner, viewer, editor, admin, stranger };
}

Deno.test("trips: create returns the trip field by field", async () => {
  const owner = await newUser("trips-create");
  const r = await invoke(owner, "trips", "POST", trip);
  assert.equal(r.status, 201);
  const t = r.body;
  assert.ok(Number.isInteger(t.id) && t.id > 0);
  assert.equal(t.user_id, owner.id);
  assert.equal(t.name, trip.name);
  assert.equal(t.destination, trip.destination);
  assert.equal(t.start_date, trip.start_date);
  assert.equal(t.end_date, trip.end_date);
  assert.equal(t.budget, 4500.5);
  assert.equal(t.currency, "JPY");
  assert.equal(t.travelers, 2);
  assert.equal(t.status, "planning");
  assert.equal(t.trip_type, "family");
  assert.deepEqual(t.flexibility, trip.flexibility);
  assert.equal(t.description, trip.description);
  assert.equal(t.my_permission, "owner");
  assert.ok(!Number.isNaN(Date.parse(t.created_at)));
  assert.equal(t.created_at, t.updated_at);
  assert.match(r.headers.get("x-request-id") ?? "", /.{8,}/);
});

Deno.test("trips: defaults apply when optional fields are left out", async () => {
  const owner = await newUser("trips-defaults");
  const r = await invoke(owner, "trips", "POST", {
    name: "Weekend",
    destination: "Bergen",
    start_date: "2027-05-01",
    end_date: "2027-05-01",
    budget: 300,
  });
  assert.equal(r.status, 201);
  assert.equal(r.body.currency, "USD");
  assert.equal(r.body.travelers, 1);
  assert.equal(r.body.status, "planning");
  assert.equal(r.body.trip_type, "leisure");
  assert.equal(r.body.flexibility, null);
  assert.equal(r.body.description, null);
});

Deno.test("trips: get returns owner, collaborators, children and counts", async () => {
  const s = await sharedTrip();
  await invoke(s.owner, `trips/${s.id}/flights`, "POST", flight);
  await invoke(s.owner, `trips/${s.id}/accommodations`, "POST", stay);
  await invoke(s.owner, `trips/${s.id}/itinerary-items`, "POST", item);
  const r = await invoke(s.viewer, `trips/${s.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.id, s.id);
  assert.equal(r.body.my_permission, "view");
  assert.deepEqual(r.body.owner, { user_id: s.owner.id, email: s.owner.email, name: null });
  assert.deepEqual(
    r.body.collaborators.map((c: { email: string; permission_level: string }) => [
      c.email,
      c.permission_level,
    ]),
    [[s.viewer.email, "view"], [s.editor.email, "edit"], [s.admin.email, "admin"]],
  );
  assert.equal(r.body.flights.length, 1);
  assert.equal(r.body.flights[0].flight_number, "JL1");
  assert.equal(r.body.accommodations[0].name, "Gion Ryokan");
  assert.equal(r.body.itinerary_items[0].title, item.title);
  assert.deepEqual(r.body.counts, {
    collaborators: 3,
    flights: 1,
    accommodations: 1,
    itinerary_items: 1,
    transportation: 0,
    notes: 0,
    saved_options: 0,
    comparisons: 0,
    attachments: 0,
  });
  assert.deepEqual(r.body.next_cursors, {
    flights: null,
    accommodations: null,
    itinerary_items: null,
  });
});

Deno.test("trips: get answers a big trip in bounded size, with cursors to the rest", async () => {
  const owner = await newUser("trips-big");
  const created = await invoke(owner, "trips", "POST", trip);
  const id = created.body.id;
  const titles = Array.from({ length: 23 }, (_, i) => `Stop ${i + 1}`);
  for (const title of titles) {
    const r = await invoke(owner, `trips/${id}/itinerary-items`, "POST", { ...item, title });
    assert.equal(r.status, 201);
  }
  const r = await invoke(owner, `trips/${id}`);
  assert.equal(r.body.itinerary_items.length, 20);
  assert.equal(r.body.counts.itinerary_items, 23);
  assert.equal(typeof r.body.next_cursors.itinerary_items, "string");
  const rest = await invoke(
    owner,
    `trips/${id}/itinerary-items?cursor=${r.body.next_cursors.itinerary_items}`,
  );
  assert.equal(rest.status, 200);
  assert.deepEqual(
    [...r.body.itinerary_items, ...rest.body.items].map((i: { title: string }) => i.title),
    titles,
  );
  assert.equal(rest.body.next_cursor, null);
});

Deno.test("trips: list shows own and shared trips, filters, sorts and pages", async () => {
  const me = await newUser("trips-list");
  const other = await newUser("trips-list-other");
  const make = (u: TestUser, name: string, destination: string, start: string, extra = {}) =>
    invoke(u, "trips", "POST", {
      name,
      destination,
      start_date: start,
      end_date: start,
      budget: 100,
      ...extra,
    });
  await make(me, "A", "Paris", "2027-03-01");
  await make(me, "B", "Lyon", "2027-01-01", { status: "booked" });
  await make(me, "C", "Paris Disney", "2027-02-01", { trip_type: "family" });
  const shared = await make(other, "D", "Nice", "2027-04-01");
  await share(other, shared.body.id, me);
  await make(other, "E", "Paris", "2027-05-01"); // not shared: never listed

  const all = await invoke(me, "trips?sort=start_date");
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.items.map((t: { name: string }) => t.name), ["B", "C", "A", "D"]);
  assert.equal(all.body.items[3].my_permission, "view");
  assert.equal(all.body.next_cursor, null);

  const paris = await invoke(me, "trips?destination=PARIS&sort=-start_date");
  assert.deepEqual(paris.body.items.map((t: { name: string }) => t.name), ["A", "C"]);
  const booked = await invoke(me, "trips?status=booked");
  assert.deepEqual(booked.body.items.map((t: { name: string }) => t.name), ["B"]);
  const family = await invoke(me, "trips?trip_type=family");
  assert.deepEqual(family.body.items.map((t: { name: string }) => t.name), ["C"]);
  const range = await invoke(me, "trips?start_from=2027-02-01&start_to=2027-03-31&sort=start_date");
  assert.deepEqual(range.body.items.map((t: { name: string }) => t.name), ["C", "A"]);

  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: { name: string }[]; next_cursor: string | null } } = await invoke(
      me,
      `trips?sort=start_date&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
    );
    names.push(...page.body.items.map((t) => t.name));
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.deepEqual(names, ["B", "C", "A", "D"]);
});

Deno.test("trips: patch changes only the fields sent; delete removes; both by the right people", async () => {
  const s = await sharedTrip();
  const patched = await invoke(s.editor, `trips/${s.id}`, "PATCH", {
    status: "booked",
    budget: 5000,
  });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.status, "booked");
  assert.equal(patched.body.budget, 5000);
  assert.equal(patched.body.name, trip.name);
  assert.equal(patched.body.my_permission, "edit");
  assert.ok(patched.body.updated_at >= patched.body.created_at);

  const cleared = await invoke(s.owner, `trips/${s.id}`, "PATCH", { description: null });
  assert.equal(cleared.body.description, null);

  for (const who of [s.viewer, s.editor, s.admin]) {
    const r = await invoke(who, `trips/${s.id}`, "DELETE");
    assert.equal(r.status, 403, JSON.stringify(r.body));
  }
  const gone = await invoke(s.owner, `trips/${s.id}`, "DELETE");
  assert.equal(gone.status, 204);
  assert.equal((await invoke(s.owner, `trips/${s.id}`)).status, 404);
  assert.equal((await invoke(s.viewer, `trips/${s.id}`)).status, 404);
});

Deno.test("trips: permission levels end to end", async () => {
  const s = await sharedTrip();
  // stranger: 404 everywhere, never 403
  for (
    const [path, method, body] of [
      [`trips/${s.id}`, "GET", undefined],
      [`trips/${s.id}`, "PATCH", { name: "x" }],
      [`trips/${s.id}`, "DELETE", undefined],
      [`trips/${s.id}/collaborators`, "GET", undefined],
      [`trips/${s.id}/invitations`, "GET", undefined],
      [`trips/${s.id}/invitations`, "POST", { email: s.stranger.email }],
      [`trips/${s.id}/flights`, "POST", flight],
    ] as const
  ) {
    const r = await invoke(s.stranger, path, method, body);
    assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, "NOT_FOUND");
  }
  // viewer: reads, 403 on writes
  assert.equal((await invoke(s.viewer, `trips/${s.id}`)).status, 200);
  assert.equal((await invoke(s.viewer, `trips/${s.id}/flights`)).status, 200);
  assert.equal((await invoke(s.viewer, `trips/${s.id}/collaborators`)).status, 200);
  const vPatch = await invoke(s.viewer, `trips/${s.id}`, "PATCH", { name: "x" });
  assert.equal(vPatch.status, 403);
  assert.equal(vPatch.body.message, "you can view this trip but not change it");
  assert.equal((await invoke(s.viewer, `trips/${s.id}/flights`, "POST", flight)).status, 403);
  assert.equal(
    (await invoke(s.viewer, `trips/${s.id}/invitations`, "POST", { email: s.stranger.email }))
      .status,
    403,
  );
  // editor: writes child rows and the trip, cannot share
  const f = await invoke(s.editor, `trips/${s.id}/flights`, "POST", flight);
  assert.equal(f.status, 201);
  assert.equal((await invoke(s.editor, `trips/${s.id}`, "PATCH", { travelers: 3 })).status, 200);
  assert.equal(
    (await invoke(s.editor, `trips/${s.id}/invitations`, "POST", { email: s.stranger.email }))
      .status,
    403,
  );
  // admin: manages collaborators, but no admin grants and not their own level
  const added = await share(s.admin, s.id, s.stranger, "edit");
  assert.equal(added.permission_level, "edit");
  assert.equal(added.invited_by, s.admin.id);
  const adminInvite = await invoke(s.admin, `trips/${s.id}/invitations`, "POST", {
    email: "someone-else@test.local",
    permission_level: "admin",
  });
  assert.equal(adminInvite.status, 403);
  assert.equal(adminInvite.body.message, "only the owner can grant admin");
  const grantAdmin = await invoke(
    s.admin,
    `trips/${s.id}/collaborators/${s.stranger.id}`,
    "PATCH",
    {
      permission_level: "admin",
    },
  );
  assert.equal(grantAdmin.status, 403);
  assert.equal(grantAdmin.body.message, "only the owner can grant admin");
  const own = await invoke(s.admin, `trips/${s.id}/collaborators/${s.admin.id}`, "PATCH", {
    permission_level: "view",
  });
  assert.equal(own.status, 403);
  assert.equal(
    (await invoke(s.admin, `trips/${s.id}/collaborators/${s.stranger.id}`, "DELETE")).status,
    204,
  );
  // owner grants admin; anyone may leave
  const promoted = await invoke(s.owner, `trips/${s.id}/collaborators/${s.editor.id}`, "PATCH", {
    permission_level: "admin",
  });
  assert.equal(promoted.status, 200);
  assert.equal(promoted.body.permission_level, "admin");
  assert.equal(
    (await invoke(s.viewer, `trips/${s.id}/collaborators/${s.viewer.id}`, "DELETE")).status,
    204,
  );
  assert.equal((await invoke(s.viewer, `trips/${s.id}`)).status, 404);
  // anon: 401
  const anon = await invoke(undefined, `trips/${s.id}`);
  assert.equal(anon.status, 401);
});

Deno.test("trips: collaborators list; nobody is added without accepting", async () => {
  const s = await sharedTrip();
  const list = await invoke(s.viewer, `trips/${s.id}/collaborators`);
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 3);
  assert.deepEqual(Object.keys(list.body.items[0]).sort(), [
    "added_by",
    "created_at",
    "email",
    "permission_level",
    "trip_id",
    "updated_at",
    "user_id",
  ]);
  // The old direct add is gone (405), and so is any way around the invitation.
  const direct = await invoke(s.owner, `trips/${s.id}/collaborators`, "POST", {
    email: s.stranger.email,
  });
  assert.equal(direct.status, 405);
  const sql = await client(s.owner).from("trip_collaborators").insert({
    trip_id: s.id,
    user_id: s.stranger.id,
    added_by: s.owner.id,
    permission_level: "view",
  });
  assert.ok(sql.error, "a direct insert through the Data API must fail");
  const missing = await invoke(
    s.owner,
    `trips/${s.id}/collaborators/00000000-0000-4000-8000-000000000000`,
    "DELETE",
  );
  assert.equal(missing.status, 404);
});

Deno.test("trips: invitations answer alike for any address and need the invitee's consent", async () => {
  const s = await sharedTrip();
  const invite = (email: string) =>
    invoke(s.owner, `trips/${s.id}/invitations`, "POST", { email, permission_level: "edit" });
  const known = await invite(s.stranger.email);
  const unknown = await invite(`nobody-${crypto.randomUUID()}@test.local`);
  assert.equal(known.status, 201);
  assert.equal(unknown.status, 201);
  const shape = (b: Record<string, unknown>) => {
    const { id: _i, email: _e, created_at: _c, updated_at: _u, expires_at: _x, ...rest } = b;
    return rest;
  };
  assert.deepEqual(shape(known.body), shape(unknown.body));
  assert.ok(!JSON.stringify(known.body).includes(s.stranger.id), "no user id in the answer");
  assert.equal(known.body.status, "pending");

  // The invitee sees it; the trip stays out of their list until they accept.
  assert.deepEqual((await invoke(s.stranger, "trips")).body.items, []);
  const mine = await invoke(s.stranger, "trips/invitations");
  assert.equal(mine.status, 200);
  assert.equal(mine.body.items.length, 1);
  assert.equal(mine.body.items[0].trip.name, trip.name);
  assert.equal(mine.body.items[0].invited_by.email, s.owner.email);
  assert.equal((await invoke(s.stranger, `trips/${s.id}`)).status, 404);

  // Nobody else can answer it.
  const thief = await newUser("trips-thief");
  const stolen = await invoke(thief, `trips/invitations/${known.body.id}/accept`, "POST");
  assert.equal(stolen.status, 404);
  assert.equal(stolen.body.message, "invitation not found");

  const accepted = await invoke(s.stranger, `trips/invitations/${known.body.id}/accept`, "POST");
  assert.equal(accepted.status, 200);
  assert.equal(accepted.body.status, "accepted");
  assert.equal((await invoke(s.stranger, `trips/${s.id}`)).body.my_permission, "edit");
  const again = await invoke(s.stranger, `trips/invitations/${known.body.id}/decline`, "POST");
  assert.equal(again.status, 409);
  assert.equal(again.body.message, "the invitation was already accepted");

  // Admins list and revoke; a revoked invitation cannot be accepted.
  const listed = await invoke(s.admin, `trips/${s.id}/invitations`);
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.items.map((i: { status: string }) => i.status).sort(),
    ["accepted", "accepted", "accepted", "accepted", "pending"],
  );
  const late = await newUser("trips-late");
  const lateInvite = await invoke(s.owner, `trips/${s.id}/invitations`, "POST", {
    email: late.email,
  });
  assert.equal(
    (await invoke(s.admin, `trips/${s.id}/invitations/${lateInvite.body.id}`, "DELETE")).status,
    204,
  );
  const revoked = await invoke(late, `trips/invitations/${lateInvite.body.id}/accept`, "POST");
  assert.equal(revoked.status, 409);
  assert.equal(revoked.body.message, "the invitation was already revoked");
  assert.deepEqual((await invoke(late, "trips/invitations")).body.items, []);

  // Declining keeps the invitee out.
  const other = await newUser("trips-decliner");
  const declineMe = await invoke(s.owner, `trips/${s.id}/invitations`, "POST", {
    email: other.email,
  });
  const declined = await invoke(other, `trips/invitations/${declineMe.body.id}/decline`, "POST");
  assert.equal(declined.body.status, "declined");
  assert.equal((await invoke(other, `trips/${s.id}`)).status, 404);
});

Deno.test("trips: invitations exact: the pending limit under concurrency, refusals that stick", async () => {
  const s = await sharedTrip();
  // 160 invitations at once, against a limit of 100 pending.
  const statuses = await Promise.all(
    Array.from({ length: 160 }, (_, i) =>
      call(`/trips/${s.id}/invitations`, {
        method: "POST",
        token: s.owner.token,
        body: JSON.stringify({ email: `crowd-${i}@example.com` }),
      }).then((r) => [r.status, (r.body as { code?: string }).code] as const)),
  );
  assert.equal(statuses.filter(([st]) => st === 201).length, 100, JSON.stringify(statuses));
  assert.ok(statuses.every(([st, code]) => st === 201 || (st === 409 && code === "LIMIT_REACHED")));
  const pending = await withAdminDb((admin) =>
    admin.query<{ n: number }>`select count(*)::int as n from public.trip_invitations
                                where trip_id = ${s.id} and status = 'pending'`
  );
  assert.equal(pending[0].n, 100);

  // A refused acceptance (the inviter was demoted) is a 409 and the invitation stays revoked.
  const t = await invoke(s.owner, "trips", "POST", trip);
  const invitee = await newUser("trips-refused");
  await share(s.owner, t.body.id, s.admin, "admin");
  const inv = await invoke(s.admin, `trips/${t.body.id}/invitations`, "POST", {
    email: invitee.email,
    permission_level: "edit",
  });
  assert.equal(inv.status, 201, JSON.stringify(inv.body));
  const demote = await invoke(s.owner, `trips/${t.body.id}/collaborators/${s.admin.id}`, "PATCH", {
    permission_level: "view",
  });
  assert.equal(demote.status, 200, JSON.stringify(demote.body));
  const refused = await invoke(invitee, `trips/invitations/${inv.body.id}/accept`, "POST");
  assert.deepEqual([refused.status, refused.body.code], [409, "CONFLICT"]);
  const promote = await invoke(s.owner, `trips/${t.body.id}/collaborators/${s.admin.id}`, "PATCH", {
    permission_level: "admin",
  });
  assert.equal(promote.status, 200);
  assert.deepEqual((await invoke(invitee, "trips/invitations")).body.items, [], "no pending ghost");
  const again = await invoke(invitee, `trips/invitations/${inv.body.id}/accept`, "POST");
  assert.equal(again.status, 409);
  assert.equal((await invoke(invitee, `trips/${t.body.id}`)).status, 404, "never a member");
});

Deno.test("trips: flights, accommodations and itinerary items CRUD", async () => {
  const s = await sharedTrip();
  for (
    const [segment, body, patch, check] of [
      ["flights", flight, { price: 99.99, flight_class: "first" }, "flight_class"],
      ["accommodations", stay, { rating: 3.5 }, "rating"],
      ["itinerary-items", item, { title: "Inari", end_time: "10:00" }, "title"],
    ] as const
  ) {
    const created = await invoke(s.editor, `trips/${s.id}/${segment}`, "POST", body);
    assert.equal(created.status, 201, `${segment}: ${JSON.stringify(created.body)}`);
    for (const [k, v] of Object.entries(body)) {
      const got = created.body[k];
      if (k.endsWith("_time") && segment === "flights") {
        assert.equal(Date.parse(got), Date.parse(v as string), `${segment}.${k}`);
      } else if (k.endsWith("_time")) {
        assert.equal(String(got).slice(0, 5), v, `${segment}.${k}`);
      } else {
        assert.deepEqual(got, v, `${segment}.${k}`);
      }
    }
    assert.equal(created.body.trip_id, s.id);
    const childId = created.body.id;
    const listed = await invoke(s.viewer, `trips/${s.id}/${segment}`);
    assert.deepEqual(listed.body.items.map((x: { id: number }) => x.id), [childId]);
    const changed = await invoke(s.editor, `trips/${s.id}/${segment}/${childId}`, "PATCH", patch);
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body[check], (patch as Record<string, unknown>)[check]);
    assert.equal(
      (await invoke(s.viewer, `trips/${s.id}/${segment}/${childId}`, "DELETE")).status,
      403,
    );
    assert.equal(
      (await invoke(s.editor, `trips/${s.id}/${segment}/${childId}`, "DELETE")).status,
      204,
    );
    assert.equal(
      (await invoke(s.editor, `trips/${s.id}/${segment}/${childId}`, "DELETE")).status,
      404,
    );
  }
});

Deno.test("trips: a child of another trip is 404 under this trip's URL; pages by cursor", async () => {
  const s = await sharedTrip();
  const other = await invoke(s.owner, "trips", "POST", trip);
  const f = await invoke(s.owner, `trips/${other.body.id}/flights`, "POST", flight);
  const wrong = await invoke(s.owner, `trips/${s.id}/flights/${f.body.id}`, "PATCH", { price: 1 });
  assert.equal(wrong.status, 404);
  for (let i = 0; i < 3; i++) await invoke(s.owner, `trips/${s.id}/itinerary-items`, "POST", item);
  const p1 = await invoke(s.owner, `trips/${s.id}/itinerary-items?limit=2`);
  assert.equal(p1.body.items.length, 2);
  assert.ok(p1.body.next_cursor);
  const p2 = await invoke(
    s.owner,
    `trips/${s.id}/itinerary-items?limit=2&cursor=${p1.body.next_cursor}`,
  );
  assert.equal(p2.body.items.length, 1);
  assert.equal(p2.body.next_cursor, null);
});

Deno.test("trips: validation failures are 400/422 and name the field", async () => {
  const owner = await newUser("trips-validation");
  const cases: [unknown, string][] = [
    [{ ...trip, name: "" }, "name"],
    [{ ...trip, name: "x".repeat(201) }, "name"],
    [{ ...trip, destination: undefined }, "destination"],
    [{ ...trip, start_date: "2027-02-30" }, "start_date"],
    [{ ...trip, end_date: "01/04/2027" }, "end_date"],
    [{ ...trip, end_date: "2027-03-01" }, "end_date"],
    [{ ...trip, budget: 0 }, "budget"],
    [{ ...trip, budget: "100" }, "budget"],
    [{ ...trip, budget: 1.234 }, "budget"],
    // One cent past numeric(14,2): refused here, naming the field, not by the column.
    [{ ...trip, budget: 1e12 }, "budget"],
    [{ ...trip, travelers: 0 }, "travelers"],
    [{ ...trip, travelers: 1.5 }, "travelers"],
    [{ ...trip, travelers: 101 }, "travelers"],
    [{ ...trip, status: "dreaming" }, "status"],
    [{ ...trip, trip_type: "space" }, "trip_type"],
    [{ ...trip, currency: "euro" }, "currency"],
    [{ ...trip, flexibility: [1, 2] }, "flexibility"],
    [{ ...trip, description: "d".repeat(5001) }, "description"],
    [{ ...trip, user_id: owner.id }, ""],
  ];
  for (const [body, field] of cases) {
    const r = await invoke(owner, "trips", "POST", body);
    assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, "VALIDATION_FAILED");
    if (field) {
      assert.ok(
        r.body.details.fields.some((f: { field: string }) => f.field === field),
        `${field} not named in ${JSON.stringify(r.body)}`,
      );
    }
  }
  const created = await invoke(owner, "trips", "POST", trip);
  const id = created.body.id;
  // A patch that is fine alone but breaks the stored dates reaches SQL: 422, field named.
  const order = await invoke(owner, `trips/${id}`, "PATCH", { end_date: "2027-03-01" });
  assert.equal(order.status, 422);
  assert.equal(order.body.details.field, "end_date");
  const empty = await invoke(owner, `trips/${id}`, "PATCH", {});
  assert.equal(empty.status, 400);

  const childCases: [string, unknown, string][] = [
    ["flights", { ...flight, origin: "Paris" }, "origin"],
    ["flights", { ...flight, arrival_time: "2027-04-01T10:00:00Z" }, "arrival_time"],
    ["flights", { ...flight, destination: "SFO" }, "destination"],
    ["flights", { ...flight, price: -1 }, "price"],
    ["flights", { ...flight, price: 1e10 }, "price"],
    ["accommodations", { ...stay, total_price: 1e10 }, "total_price"],
    ["flights", { ...flight, departure_time: "tomorrow" }, "departure_time"],
    ["accommodations", { ...stay, check_out_date: "2027-04-02" }, "check_out_date"],
    ["accommodations", { ...stay, rating: 5.5 }, "rating"],
    ["accommodations", { ...stay, total_price: -5 }, "total_price"],
    ["itinerary-items", { ...item, end_time: "05:00" }, "end_time"],
    ["itinerary-items", { ...item, item_type: "nap" }, "item_type"],
  ];
  for (const [segment, body, field] of childCases) {
    const r = await invoke(owner, `trips/${id}/${segment}`, "POST", body);
    assert.equal(r.status, 400, `${segment}.${field}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.details.fields.some((f: { field: string }) => f.field === field));
  }
  // The largest amounts the columns hold are accepted.
  const richest = await invoke(owner, "trips", "POST", { ...trip, budget: 999999999999.99 });
  assert.equal(richest.status, 201, JSON.stringify(richest.body));
  assert.equal(richest.body.budget, 999999999999.99);
  const dearest = await invoke(owner, `trips/${id}/flights`, "POST", {
    ...flight,
    price: 9999999999.99,
  });
  assert.equal(dearest.status, 201, JSON.stringify(dearest.body));
  // A flight patch that crosses the stored times is refused by the database: 422.
  const f = await invoke(owner, `trips/${id}/flights`, "POST", flight);
  const crossed = await invoke(owner, `trips/${id}/flights/${f.body.id}`, "PATCH", {
    arrival_time: "2027-03-01T00:00:00Z",
  });
  assert.equal(crossed.status, 422);
  assert.equal(crossed.body.details.constraint, "flights_arrival_after_departure");

  const query = await invoke(owner, "trips?limit=500");
  assert.equal(query.status, 400);
  assert.equal(query.body.details.fields[0].field, "limit");
  const unknownQuery = await invoke(owner, "trips?colour=red");
  assert.equal(unknownQuery.status, 400);
  const cursor = await invoke(owner, "trips?cursor=garbage");
  assert.equal(cursor.status, 422);
  assert.equal(cursor.body.details.field, "cursor");
});

Deno.test("trips: HTTP edges: CORS, unknown route, wrong method, bad JSON, big body, bad ids", async () => {
  const owner = await newUser("trips-http");
  const pre = await call("/trips/1/flights", {
    method: "OPTIONS",
    headers: { origin: "https://app.example", "access-control-request-method": "PATCH" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");

  const anon = await call("/trips");
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get("access-control-allow-origin"), "*");

  const route = await call("/trips/1/boats", { token: owner.token });
  assert.equal(route.status, 404);
  assert.equal(route.body && (route.body as { code: string }).code, "ROUTE_NOT_FOUND");
  assert.equal(route.headers.get("access-control-allow-origin"), "*");

  const method = await call("/trips/1", { method: "PUT", token: owner.token, body: "{}" });
  assert.equal(method.status, 405);
  assert.match(method.headers.get("allow") ?? "", /PATCH/);
  assert.equal(method.headers.get("access-control-allow-origin"), "*");

  const bad = await call("/trips", { method: "POST", token: owner.token, body: '{"name": "x",' });
  assert.equal(bad.status, 400);
  assert.equal((bad.body as { code: string }).code, "INVALID_JSON");

  const notJson = await call("/trips", {
    method: "POST",
    token: owner.token,
    body: "name=x",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(notJson.status, 415);

  const big = await call("/trips", {
    method: "POST",
    token: owner.token,
    body: JSON.stringify({ ...trip, description: "x".repeat(70_000) }),
  });
  assert.equal(big.status, 413);

  for (const path of ["/trips/abc", "/trips/-1", "/trips/0", "/trips/99999999999999999999"]) {
    const r = await call(path, { token: owner.token });
    assert.equal(r.status, 404, path);
  }
  const badUser = await call("/trips/1/collaborators/not-a-uuid", {
    method: "DELETE",
    token: owner.token,
  });
  assert.equal(badUser.status, 404);
});

Deno.test("trips: a full trip refuses more children with 409 LIMIT_REACHED", async () => {
  const owner = await newUser("trips-limit");
  const created = await invoke(owner, "trips", "POST", trip);
  const id = created.body.id;
  await withAdminDb((db) =>
    db.query`
      insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price)
      select ${id}::bigint, 'OSL', 'BGO', '2027-03-02 08:00+00', '2027-03-02 09:00+00', 1
        from generate_series(1, 500)`
  );
  const over = await invoke(owner, `trips/${id}/flights`, "POST", flight);
  assert.equal(over.status, 409, JSON.stringify(over.body));
  assert.equal(over.body.code, "LIMIT_REACHED");
  assert.match(over.body.message, /flights: at most 500 per trip/);
  // Other kinds of the same trip are counted separately.
  assert.equal((await invoke(owner, `trips/${id}/accommodations`, "POST", stay)).status, 201);
});
