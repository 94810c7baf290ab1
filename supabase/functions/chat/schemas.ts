// Request schemas of the chat API, mirroring the database's rules (chat_sessions,
// chat_messages) so that bad input is a field-level 400 before any SQL or model call.

import { z } from "zod";
import { id, jsonObject, uuid } from "../_shared/validation.ts";

/** Characters of one user message (the database allows 32,000 for any message). */
export const MAX_MESSAGE_CHARS = 8000;

const title = z.string().trim().min(1, "must not be empty").max(200).nullable();

export const sessionParams = z.object({ id: uuid });

export const newSession = z.strictObject({
  title: title.optional(),
  trip_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  remember: z.boolean().default(true),
  metadata: jsonObject.optional(),
});

export const sessionPatch = z.strictObject({
  title: title.optional(),
  metadata: jsonObject.optional(),
}).refine((p) => Object.keys(p).length > 0, {
  message: "must change at least one field",
});

export const newMessage = z.strictObject({
  content: z.string().trim().min(1, "must not be empty").max(MAX_MESSAGE_CHARS),
  client_message_id: z.string().regex(
    /^[A-Za-z0-9._:-]{1,100}$/,
    "must be 1 to 100 letters, digits or . _ : -",
  ).optional(),
});

export const sessionListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(
    /^[A-Za-z0-9_-]{1,200}$/,
    "is not a cursor from this API",
  ).optional(),
});

export const messageListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: id.optional(),
});
