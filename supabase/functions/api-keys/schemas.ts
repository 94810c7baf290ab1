// Request schemas of the api-keys function. A key's value is never echoed in an
// error: zod's messages here describe the rule, not the input.

import { z } from "zod";
import { SERVICES } from "../_shared/byok.ts";
import { id, isoDateTime } from "../_shared/validation.ts";

const NO_FIELDS = { message: "the body names no field to change" };

export const keyParams = z.object({ id });

const serviceName = z.enum(SERVICES, { message: `must be one of ${SERVICES.join(", ")}` });

const keyName = z.string().trim().min(1, "must not be empty").max(100)
  // deno-lint-ignore no-control-regex -- the point is to refuse control characters
  .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

// Provider keys are printable ASCII without spaces; surrounding whitespace from a
// copy-paste is trimmed rather than stored.
const secretValue = z.string({ message: "must be a string" }).trim()
  .min(8, "must be at least 8 characters")
  .max(1024, "must be at most 1024 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

const futureDateTime = isoDateTime.refine(
  (t) => Date.parse(t) > Date.now(),
  "must be in the future",
);

export const keyListQuery = z.strictObject({ service_name: serviceName.optional() });

export const keyCreate = z.strictObject({
  service_name: serviceName,
  key_name: keyName,
  value: secretValue,
  is_active: z.boolean().optional(),
  expires_at: futureDateTime.nullable().optional(),
  validate: z.boolean().optional(),
});

export const keyPatch = z.strictObject({
  key_name: keyName.optional(),
  value: secretValue.optional(),
  is_active: z.boolean().optional(),
  expires_at: futureDateTime.nullable().optional(),
  validate: z.boolean().optional(),
}).refine((p) => Object.keys(p).some((k) => k !== "validate"), NO_FIELDS).refine(
  (p) => !p.validate || p.value !== undefined,
  {
    path: ["validate"],
    message: "applies to a new value; POST /api-keys/:id/validate checks the stored one",
  },
);

export const rotateBody = z.strictObject({
  batch_size: z.number().int().min(1).max(1000).default(200),
  max_rows: z.number().int().min(1).max(100_000).default(5000),
  after_id: z.union([z.number().int().min(0), z.string().regex(/^(0|[1-9][0-9]{0,18})$/)], {
    message: "must be a row id (0 to start)",
  }).transform(String).default("0"),
});
