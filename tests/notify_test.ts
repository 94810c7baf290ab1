// The NOTIFY triggers, observed the way a cache or realtime worker would: LISTEN
// on a separate connection, change rows, read the payloads.
import assert from "node:assert/strict";
import pg from "pg";
import { env, newUser } from "../harness/stack.ts";

type Payload = Record<string, unknown>;

async function listen(channels: string[]) {
  const client = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await client.connect();
  const received: { channel: string; payload: Payload }[] = [];
  client.on("notification", (n: { channel: string; payload?: string }) => {
    received.push({ channel: n.channel, payload: JSON.parse(n.payload ?? "{}") });
  });
  for (const c of channels) await client.query(`listen ${c}`);
  return { client, received };
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

Deno.test("notify: trips, flights and accommodations send cache_invalidation payloads", async () => {
  const owner = await newUser("notify");
  const { client: listener, received } = await listen(["cache_invalidation"]);
  const db = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await db.connect();
  try {
    const { rows: [trip] } = await db.query(
      `insert into public.trips (user_id, name, destination, start_date, end_date, budget)
       values ($1, 'N', 'Oslo', '2027-01-01', '2027-01-02', 10) returning id`,
      [owner.id],
    );
    await db.query(
      `insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price)
       values ($1, 'OSL', 'BGO', '2027-01-01 08:00+00', '2027-01-01 09:00+00', 1)`,
      [trip.id],
    );
    await db.query(
      `insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price)
       values ($1, 'H', '2027-01-01', '2027-01-02', 1)`,
      [trip.id],
    );
    await db.query(`update public.trips set name = 'N2' where id = $1`, [trip.id]);
    await db.query(`delete from public.trips where id = $1`, [trip.id]); // cascades to children
    const mine = () =>
      received.filter((r) =>
        r.payload.table_name !== "trips" || r.payload.record_id === String(trip.id)
      );
    await until(() => mine().length >= 7, "7 notifications");
    const trips = mine().filter((r) => r.payload.table_name === "trips");
    assert.deepEqual(trips.map((r) => r.payload.operation), ["INSERT", "UPDATE", "DELETE"]);
    for (const { payload } of trips) {
      assert.equal(payload.event_type, "cache_invalidation");
      assert.equal(payload.record_id, String(trip.id));
      assert.match(String(payload.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual(
        Object.keys(payload).sort(),
        ["event_type", "operation", "record_id", "table_name", "timestamp"],
      );
    }
    const tables = new Set(mine().map((r) => `${r.payload.table_name}:${r.payload.operation}`));
    for (
      const t of [
        "flights:INSERT",
        "flights:DELETE",
        "accommodations:INSERT",
        "accommodations:DELETE",
      ]
    ) {
      assert.ok(tables.has(t), `missing ${t}`);
    }
  } finally {
    await db.end();
    await listener.end();
  }
});

Deno.test("notify: trip_collaboration on collaborator added, updated, removed", async () => {
  const owner = await newUser("notify-owner");
  const friend = await newUser("notify-friend");
  const { client: listener, received } = await listen(["trip_collaboration"]);
  const db = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await db.connect();
  try {
    const { rows: [trip] } = await db.query(
      `insert into public.trips (user_id, name, destination, start_date, end_date, budget)
       values ($1, 'C', 'Rome', '2027-01-01', '2027-01-02', 10) returning id`,
      [owner.id],
    );
    await db.query(
      `insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level)
       values ($1, $2, $3, 'view')`,
      [trip.id, friend.id, owner.id],
    );
    await db.query(
      `update public.trip_collaborators set permission_level = 'edit' where trip_id = $1`,
      [trip.id],
    );
    await db.query(`delete from public.trip_collaborators where trip_id = $1`, [trip.id]);
    const mine = () => received.filter((r) => r.payload.trip_id === Number(trip.id));
    await until(() => mine().length >= 3, "3 notifications");
    assert.deepEqual(
      mine().map((r) => [r.payload.event_type, r.payload.permission_level]),
      [["collaborator_added", "view"], ["collaborator_updated", "edit"], [
        "collaborator_removed",
        "edit",
      ]],
    );
    assert.equal(mine()[0].payload.user_id, friend.id);
    assert.equal(mine()[1].payload.previous_permission_level, "view");
  } finally {
    await db.end();
    await listener.end();
  }
});
