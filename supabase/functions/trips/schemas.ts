// Request schemas of the trips API. They mirror the database's rules so that most
// bad input is refused with a field-level 400 before any SQL runs; the CHECK
// constraints and the RPCs' own validation stay as the last line.

import { z } from "zod";
import { Constants } from "../_shared/database.types.ts";
import {
  cents,
  currency,
  id,
  isoDate,
  isoDateTime,
  jsonObject,
  maxAmount,
  money,
  uuid,
} from "../_shared/validation.ts";

const text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);
const optionalText = (max: number) => z.string().max(max).nullable().optional();
const nonEmpty = (o: object) => Object.keys(o).length > 0;
const NO_FIELDS = { message: "the body names no field to change" };

// Every enumeration comes from the database's enum types (npm run gen:types).
const E = Constants.public.Enums;

export const tripParams = z.object({ id });
export const collaboratorParams = z.object({ id, userId: uuid });
export const childParams = z.object({ id, childId: id });
export const invitationParams = z.object({ id, invitationId: id });
export const myInvitationParams = z.object({ invitationId: id });

const tripFields = {
  name: text(200),
  destination: text(200),
  start_date: isoDate,
  end_date: isoDate,
  // numeric(14,2) in the database.
  budget: z.number().positive().max(maxAmount(14)).refine(cents, "must have at most 2 decimals"),
  currency: currency.optional(),
  travelers: z.number().int().min(1).max(100).optional(),
  status: z.enum(E.trip_status).optional(),
  trip_type: z.enum(E.trip_type).optional(),
  flexibility: jsonObject.nullable().optional(),
  description: optionalText(5000),
};

export const tripCreate = z.strictObject(tripFields).refine(
  (t) => t.end_date >= t.start_date,
  { path: ["end_date"], message: "must not be before start_date" },
);

export const tripPatch = z.strictObject(tripFields).partial().refine(nonEmpty, NO_FIELDS).refine(
  (t) => !t.start_date || !t.end_date || t.end_date >= t.start_date,
  { path: ["end_date"], message: "must not be before start_date" },
);

export const tripListQuery = z.strictObject({
  status: z.enum(E.trip_status).optional(),
  trip_type: z.enum(E.trip_type).optional(),
  destination: z.string().min(1).max(200).optional(),
  start_from: isoDate.optional(),
  start_to: isoDate.optional(),
  sort: z.enum(["start_date", "-start_date", "created_at", "-created_at"]).default("-created_at"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const childListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: id.optional(),
});

export const invitationCreate = z.strictObject({
  email: z.string().email("must be an email address").max(320),
  permission_level: z.enum(E.trip_permission_level).default("view"),
});

export const collaboratorPatch = z.strictObject({
  permission_level: z.enum(E.trip_permission_level),
});

const flightFields = {
  origin: z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter IATA airport code"),
  destination: z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter IATA airport code"),
  airline: optionalText(100),
  flight_number: z.string().regex(/^[A-Z0-9]{2,3}[0-9]{1,4}[A-Z]?$/, "must look like NH106")
    .nullable().optional(),
  departure_time: isoDateTime,
  arrival_time: isoDateTime,
  flight_class: z.enum(E.flight_class).optional(),
  price: money,
  currency: currency.optional(),
  booking_status: z.enum(E.booking_status).optional(),
  booking_reference: optionalText(100),
  metadata: jsonObject.optional(),
};
const arrivesAfterDeparture = {
  check: (f: { departure_time?: string; arrival_time?: string }) =>
    !f.departure_time || !f.arrival_time ||
    Date.parse(f.arrival_time) > Date.parse(f.departure_time),
  rule: { path: ["arrival_time"], message: "must be after departure_time" },
};
const differentAirports = {
  check: (f: { origin?: string; destination?: string }) =>
    !f.origin || !f.destination || f.origin !== f.destination,
  rule: { path: ["destination"], message: "must differ from origin" },
};

const accommodationFields = {
  name: text(200),
  accommodation_type: z.enum(E.accommodation_type).optional(),
  address: optionalText(500),
  check_in_date: isoDate,
  check_out_date: isoDate,
  price_per_night: money.nullable().optional(),
  total_price: money,
  currency: currency.optional(),
  rating: z.number().min(0).max(5).refine((n) => Number.isInteger(n * 10), "one decimal at most")
    .nullable().optional(),
  amenities: z.array(z.string().min(1).max(100)).max(100).optional(),
  booking_status: z.enum(E.booking_status).optional(),
  booking_reference: optionalText(100),
  metadata: jsonObject.optional(),
};
const checkOutAfterCheckIn = {
  check: (a: { check_in_date?: string; check_out_date?: string }) =>
    !a.check_in_date || !a.check_out_date || a.check_out_date > a.check_in_date,
  rule: { path: ["check_out_date"], message: "must be after check_in_date" },
};

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, "must be a time as HH:MM");
const itineraryFields = {
  title: text(200),
  description: optionalText(5000),
  item_type: z.enum(E.itinerary_item_type).optional(),
  item_date: isoDate,
  start_time: clock.nullable().optional(),
  end_time: clock.nullable().optional(),
  location: optionalText(500),
  price: money.optional(),
  currency: currency.optional(),
  booking_status: z.enum(E.itinerary_status).optional(),
  sort_order: z.number().int().min(0).max(10000).optional(),
};
const endsAfterStart = {
  check: (i: { start_time?: string | null; end_time?: string | null }) =>
    !i.start_time || !i.end_time || i.end_time >= i.start_time,
  rule: { path: ["end_time"], message: "must not be before start_time" },
};

/** The child collections: URL segment, RPC kind, create and patch schemas. */
export const CHILDREN = {
  "flights": {
    kind: "flights",
    create: z.strictObject(flightFields)
      .refine(arrivesAfterDeparture.check, arrivesAfterDeparture.rule)
      .refine(differentAirports.check, differentAirports.rule),
    patch: z.strictObject(flightFields).partial().refine(nonEmpty, NO_FIELDS)
      .refine(arrivesAfterDeparture.check, arrivesAfterDeparture.rule)
      .refine(differentAirports.check, differentAirports.rule),
  },
  "accommodations": {
    kind: "accommodations",
    create: z.strictObject(accommodationFields)
      .refine(checkOutAfterCheckIn.check, checkOutAfterCheckIn.rule),
    patch: z.strictObject(accommodationFields).partial().refine(nonEmpty, NO_FIELDS)
      .refine(checkOutAfterCheckIn.check, checkOutAfterCheckIn.rule),
  },
  "itinerary-items": {
    kind: "itinerary_items",
    create: z.strictObject(itineraryFields).refine(endsAfterStart.check, endsAfterStart.rule),
    patch: z.strictObject(itineraryFields).partial().refine(nonEmpty, NO_FIELDS)
      .refine(endsAfterStart.check, endsAfterStart.rule),
  },
} as const;
