// Text helpers of the local OpenAI-compatible server, shared by its embedding
// (scripts/embeddings-server.ts) and its rule-based chat model (scripts/local-llm.ts):
// a crude stem, and a small table of travel concepts whose words a real embedding
// model would place close together ("coeliac" and "gluten", "aisle" and "seat").

const SUFFIXES = ["ences", "ence", "ings", "ing", "ers", "er", "ed", "es", "s"];

/**
 * A crude English stem: enough that "seats"/"seat" and "prefers"/"preference"
 * share a feature. Real models know far more; this only has to be deterministic.
 */
export function stem(word: string): string {
  // Twice, so that "preference" (-> prefer -> pref) meets "prefers" (-> pref).
  for (let round = 0; round < 2; round++) {
    const suffix = SUFFIXES.find((x) => word.length - x.length >= 3 && word.endsWith(x));
    if (!suffix) break;
    word = word.slice(0, -suffix.length);
  }
  return word;
}

/** Lower-case words of a text (letters and digits, any script). */
export const wordsOf = (text: string): string[] =>
  text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Travel concepts and the word stems that evoke each (English, Spanish, French, German). */
const CONCEPTS: Record<string, string[]> = {
  seat: ["seat", "window", "aisle", "pasillo", "ventanilla", "couloir", "hublot", "fensterplatz"],
  gluten: ["gluten", "coeliac", "celiac", "celiaco", "celiaca", "cœliaque", "zöliakie"],
  vegetarian: ["vegetarian", "vegetariano", "vegetariana", "végétarien", "vegetarier", "meat"],
  vegan: ["vegan", "vegano", "vegana", "végan", "veganer", "veganerin", "plant"],
  alcohol: ["alcohol", "wine", "beer", "drink", "cocktail", "alcool", "alkohol"],
  mobility: ["stair", "stairs", "lift", "elevator", "wheelchair", "step", "knee", "mobility"],
  nervous: ["nervous", "anxious", "afraid", "scared", "fear", "anxiety"],
  budget: ["budget", "spend", "euro", "dollar", "pound", "money", "presupuesto"],
  allergy: ["allerg", "allergic", "allergy", "alérgico", "allergique", "allergisch", "allergie"],
  peanut: ["peanut", "cacahuete", "maní", "arachide", "erdnuss", "erdnüsse"],
  nut: ["nut", "nuts", "nuez", "nueces", "noix", "nuss", "nüsse", "nussallergie"],
  seafood: ["seafood", "shellfish", "mariscos", "meeresfrüchte", "prawn", "shrimp"],
  dog: ["dog", "perro", "chien", "hund"],
  home: ["live", "lives", "moved", "relocated", "vivo", "habite", "wohne"],
  party: ["party", "people", "group"],
  landscape: ["beach", "mountain", "sea", "seaside", "coast", "countryside", "lake", "island"],
  company: ["alone", "solo", "partner", "wife", "husband", "spouse", "girlfriend", "boyfriend"],
  cabin: ["economy", "premium", "business"],
};

const CONCEPT_OF = new Map<string, string>();
for (const [concept, words] of Object.entries(CONCEPTS)) {
  for (const w of words) CONCEPT_OF.set(w, concept);
}

/** The concept a word evokes (by the word or its stem), if any. */
export const conceptOf = (word: string): string | undefined =>
  CONCEPT_OF.get(word) ?? CONCEPT_OF.get(stem(word));
