// A valid request of each kind the API takes: one body per route family, which the fuzz
// mutates field by field (reliability/fuzz.ts) and the API tour sends as it is
// (harness/api-tour.ts).

/** The collections of a trip, as their route segment. */
export const CHILD_SEGMENTS = ["flights", "accommodations", "itinerary-items"] as const;

/** A valid body per route family. */
export const TEMPLATES: Record<string, Record<string, unknown>> = {
  trip: {
    name: "Fuzz trip",
    destination: "Lisbon",
    start_date: "2027-05-01",
    end_date: "2027-05-08",
    budget: 1500.5,
    currency: "EUR",
    travelers: 2,
    flexibility: { days: 2 },
  },
  "flights": {
    origin: "LIS",
    destination: "NRT",
    flight_number: "NH106",
    departure_time: "2027-05-01T10:00:00Z",
    arrival_time: "2027-05-02T06:00:00Z",
    price: 820,
    metadata: { seat: "12A" },
  },
  "accommodations": {
    name: "Hotel Fuzz",
    check_in_date: "2027-05-01",
    check_out_date: "2027-05-04",
    total_price: 390,
    amenities: ["wifi"],
    rating: 4.5,
  },
  "itinerary-items": {
    title: "Tram 28",
    item_date: "2027-05-02",
    start_time: "09:30",
    end_time: "11:00",
    price: 3,
    sort_order: 1,
  },
  invitation: { email: "nobody@fuzz.invalid", permission_level: "view" },
  permission: { permission_level: "edit" },
  memory: { content: "prefers aisle seats", content_type: "preference", metadata: { k: 1 } },
  memories: { memories: [{ content: "likes trams" }, { content: "vegetarian", metadata: {} }] },
  conversation: {
    messages: [
      { role: "user", content: "I am vegetarian. I prefer window seats." },
      { role: "assistant", content: "Noted." },
    ],
    infer: true,
    metadata: { channel: "fuzz" },
  },
  memoryPatch: { content: "prefers aisle seats now", content_type: "preference", metadata: {} },
  session: { title: "Fuzz chat", remember: false, metadata: { k: 1 } },
  sessionPatch: { title: "Renamed", metadata: {} },
  message: { content: "Which tram goes to Belém?", client_message_id: "fuzz-1" },
  sweep: { limit: 5 },
  search: { query: "seat preference", match_count: 5, min_similarity: 0.1 },
  // The local embedder's key, so the owner's memories routes reach the embedder.
  key: { service_name: "openai", key_name: "fuzz key", value: Deno.env.get("LOCAL_OPENAI_KEY") },
  keyPatch: { key_name: "renamed", is_active: true },
  rotate: { batch_size: 50, max_rows: 100, after_id: 0 },
  empty: {},
};
