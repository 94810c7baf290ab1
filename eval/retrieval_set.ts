// The retrieval evaluation's data (npm run eval:memory -- retrieval, docs/memory.md):
// one traveller's memories, and questions about them in four categories, each with the
// memory that answers it. Written for this evaluation, not taken from any test.

export const MEMORIES = [
  "Prefers window seats",
  "Allergic to peanuts",
  "Is vegetarian",
  "Booked flight LH 123 from Frankfurt to Tokyo on 12 May",
  "Stays at the Park Hyatt Tokyo in Shinjuku",
  "Passport expires in March 2028",
  "Loyalty number with Marriott Bonvoy is MB 4471 2290",
  "Travels with their dog Biscuit, a golden retriever",
  "Afraid of flying over long distances",
  "Likes hiking in the Dolomites",
  "Budget for the Japan trip is 3000 euros",
  "Daughter Mia is 7 years old",
  "Prefers boutique hotels over big chains",
  "Ferry to Santorini departs Piraeus at 07:30 on 4 June",
  "Train seat reservation ICE 578 coach 9 seat 45",
  "Does not drink alcohol",
  "Lives in Lyon",
  "Wants to visit Kyoto during cherry blossom season",
  "Car rental confirmation code XK9-44Z at Lisbon airport",
  "Needs a ground floor room because of bad knees",
  "Speaks Spanish and some Italian",
  "Favourite airline is Lufthansa",
  "Is gluten free (coeliac)",
  "Anniversary dinner on 14 February at Le Cinq",
  // Look-alikes: the same kind of fact with other names, numbers and dates.
  "Booked flight LH 456 from Munich to Tokyo on 21 May",
  "Booked flight AF 1180 from Paris to Osaka on 2 June",
  "Stays at the Hyatt Regency Osaka near the station",
  "Train seat reservation ICE 1093 coach 4 seat 12",
  "Car rental confirmation code QP2-71M at Porto airport",
  "Loyalty number with Hilton Honors is HH 9083 1174",
  "Ferry to Naxos departs Rafina at 09:15 on 6 June",
  "Birthday lunch on 3 March at Septime",
];

export type Category = "paraphrase" | "names and places" | "dates and codes" | "multilingual";

/** A question and the memory (its text, as above) that answers it. */
export const QUERIES: { category: Category; query: string; answer: string }[] = [
  { category: "paraphrase", query: "do I eat meat?", answer: "Is vegetarian" },
  { category: "paraphrase", query: "any nut allergy to mention?", answer: "Allergic to peanuts" },
  { category: "paraphrase", query: "should I order wine?", answer: "Does not drink alcohol" },
  {
    category: "paraphrase",
    query: "are long flights stressful for me?",
    answer: "Afraid of flying over long distances",
  },
  {
    category: "paraphrase",
    query: "how much can I spend in Japan?",
    answer: "Budget for the Japan trip is 3000 euros",
  },
  {
    category: "paraphrase",
    query: "what kind of hotel suits me?",
    answer: "Prefers boutique hotels over big chains",
  },
  {
    category: "paraphrase",
    query: "can I manage stairs?",
    answer: "Needs a ground floor room because of bad knees",
  },
  {
    category: "paraphrase",
    query: "which languages can I speak?",
    answer: "Speaks Spanish and some Italian",
  },
  {
    category: "names and places",
    query: "Park Hyatt",
    answer: "Stays at the Park Hyatt Tokyo in Shinjuku",
  },
  {
    category: "names and places",
    query: "is Biscuit coming?",
    answer: "Travels with their dog Biscuit, a golden retriever",
  },
  {
    category: "names and places",
    query: "Dolomites ideas",
    answer: "Likes hiking in the Dolomites",
  },
  {
    category: "names and places",
    query: "leaving from Piraeus",
    answer: "Ferry to Santorini departs Piraeus at 07:30 on 4 June",
  },
  {
    category: "names and places",
    query: "Le Cinq booking",
    answer: "Anniversary dinner on 14 February at Le Cinq",
  },
  {
    category: "names and places",
    query: "Lufthansa miles",
    answer: "Favourite airline is Lufthansa",
  },
  { category: "names and places", query: "anything in Lyon?", answer: "Lives in Lyon" },
  {
    category: "names and places",
    query: "Kyoto in spring",
    answer: "Wants to visit Kyoto during cherry blossom season",
  },
  {
    category: "dates and codes",
    query: "LH123",
    answer: "Booked flight LH 123 from Frankfurt to Tokyo on 12 May",
  },
  {
    category: "dates and codes",
    query: "MB 4471 2290",
    answer: "Loyalty number with Marriott Bonvoy is MB 4471 2290",
  },
  {
    category: "dates and codes",
    query: "XK9-44Z",
    answer: "Car rental confirmation code XK9-44Z at Lisbon airport",
  },
  {
    category: "dates and codes",
    query: "ICE 578",
    answer: "Train seat reservation ICE 578 coach 9 seat 45",
  },
  {
    category: "dates and codes",
    query: "what is on 12 May?",
    answer: "Booked flight LH 123 from Frankfurt to Tokyo on 12 May",
  },
  { category: "dates and codes", query: "March 2028", answer: "Passport expires in March 2028" },
  {
    category: "dates and codes",
    query: "the 07:30 departure",
    answer: "Ferry to Santorini departs Piraeus at 07:30 on 4 June",
  },
  {
    category: "dates and codes",
    query: "14 February plans",
    answer: "Anniversary dinner on 14 February at Le Cinq",
  },
  {
    category: "dates and codes",
    query: "which seat is mine on the ICE 578 train",
    answer: "Train seat reservation ICE 578 coach 9 seat 45",
  },
  {
    category: "dates and codes",
    query: "my rental car code, was it XK9-44Z?",
    answer: "Car rental confirmation code XK9-44Z at Lisbon airport",
  },
  {
    category: "dates and codes",
    query: "the flight on 12 May from Frankfurt",
    answer: "Booked flight LH 123 from Frankfurt to Tokyo on 12 May",
  },
  {
    category: "names and places",
    query: "what was the hotel in Shinjuku called",
    answer: "Stays at the Park Hyatt Tokyo in Shinjuku",
  },
  {
    category: "names and places",
    query: "the ferry that leaves from Piraeus",
    answer: "Ferry to Santorini departs Piraeus at 07:30 on 4 June",
  },
  {
    category: "names and places",
    query: "my Marriott number",
    answer: "Loyalty number with Marriott Bonvoy is MB 4471 2290",
  },
  { category: "multilingual", query: "soy vegetariano?", answer: "Is vegetarian" },
  { category: "multilingual", query: "allergie aux arachides", answer: "Allergic to peanuts" },
  {
    category: "multilingual",
    query: "kommt der Hund mit?",
    answer: "Travels with their dog Biscuit, a golden retriever",
  },
  { category: "multilingual", query: "comida sin gluten", answer: "Is gluten free (coeliac)" },
  { category: "multilingual", query: "asiento de ventanilla", answer: "Prefers window seats" },
  {
    category: "multilingual",
    query: "presupuesto de viaje",
    answer: "Budget for the Japan trip is 3000 euros",
  },
];
