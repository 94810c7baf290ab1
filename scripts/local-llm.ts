// The local OpenAI-compatible server's chat model: deterministic rules, not a
// language model, good enough to demo and test the memory pipeline offline
// (docs/memory.md, "The local model"). It recognises the pipeline's two tasks by the
// JSON schema's name and reads their <data> block:
//
//   memory_facts      lasting first-person statements of the user's messages become
//                     facts in the third person without the subject ("I'm vegetarian"
//                     -> "Is vegetarian"); indirect ones too ("flying makes me nervous"
//                     -> "Is nervous about flying"), and facts about companions
//                     ("my daughter is allergic to peanuts"). Questions, requests,
//                     greetings, chit-chat, one-off events and anything addressed to
//                     the assistant are not facts. "Forget that ..." goes to `forget`.
//                     Spanish, French and German statements of the common forms are
//                     written in English from a small lexicon, the user's own words
//                     kept after them in parentheses. Known topics (seat, diet, home,
//                     destination, party size, budget, cabin, companions) get one
//                     phrasing each, so a change of mind meets the memory it changes.
//   memory_decisions  per fact, among its related memories only: NONE when one says
//                     the same (same text, or same topic and value); DELETE of one it
//                     negates; UPDATE of one on the same topic with another value (or
//                     the same leading verb and half the words); ADD otherwise. A
//                     fact marked forget deletes the memory that says it.
//
// Anything else gets a deterministic reply: the last user message, and the memories
// and trip the prompt's context held (what the chat function sends).

import { conceptOf, stem, wordsOf } from "./local-text.ts";

export interface ChatMessage {
  role: string;
  content: unknown;
}

function dataOf(messages: ChatMessage[]): Record<string, unknown> {
  for (const m of [...messages].reverse()) {
    const text = typeof m.content === "string" ? m.content : "";
    const found = /<data>\s*([\s\S]*?)\s*<\/data>/.exec(text);
    if (found) {
      try {
        return JSON.parse(found[1]);
      } catch {
        return {};
      }
    }
  }
  return {};
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const tidy = (s: string) => s.replace(/\s+/g, " ").replace(/\s+([,.])/g, "$1").trim();

// ---------------------------------------------------------------- English

const IRREGULAR_THIRD: Record<string, string> = { have: "has", be: "is", do: "does", go: "goes" };

/** "prefer" -> "prefers", "fly" -> "flies", "go" -> "goes", "have" -> "has". */
export function thirdPerson(verb: string): string {
  const lower = verb.toLowerCase();
  if (IRREGULAR_THIRD[lower]) return IRREGULAR_THIRD[lower];
  if (/[^aeiou]y$/i.test(verb)) return verb.slice(0, -1) + "ies";
  if (/(s|sh|ch|x|z|o)$/i.test(verb)) return verb + "es";
  return verb + "s";
}

const IRREGULAR_PAST = new Set(
  ("was were had went did saw got took made ate drank flew left came bought spent met found " +
    "lost forgot thought told said heard felt slept sat stood kept paid ran wrote began " +
    "brought caught chose drove fell gave knew rode sang swam threw woke wore won meant sent " +
    "built lent understood became broke forgave hid hit hurt let put quit set shut sold taught")
    .split(" "),
);
/** A verb in the simple past ("missed", "had"): one event, not a lasting fact. */
const isPast = (verb: string) =>
  IRREGULAR_PAST.has(verb.toLowerCase()) ||
  (/ed$/i.test(verb) && !/^(need|feed|speed)$/i.test(verb));

const NUMBERS: Record<string, string> = {
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  ten: "10",
  eleven: "11",
  twelve: "12",
};
const numberOf = (w: string) => NUMBERS[w.toLowerCase()] ?? (/^\d+$/.test(w) ? w : undefined);

const LEAD_INS = new RegExp(
  "^(?:actually|also|and|but|so|well|oh|btw|by the way|just so you know|fyi|for the record|" +
    "ok|okay|yes|yeah|no(?=,)|hmm|anyway|anyhow|now|plus|however|honestly|to be honest|frankly|" +
    "sorry|oops|scratch that|correction|wait|changed my mind|i changed my mind|" +
    "on second thought|on reflection|these days|nowadays|now|from now on|going forward|" +
    "just a reminder|a reminder|reminder|as a reminder|" +
    "(?:please )?(?:remember|note|keep in mind|bear in mind)|(?:please )?make a note|" +
    "i should mention|i should say|i forgot to mention|i forgot to say|" +
    "i (?:just )?wanted to (?:say|mention|let you know)|let me tell you|fun fact)" +
    "(?:\\s+that)?\\b[,:\\s-]*",
  "i",
);

/** Words that make a clause a greeting, thanks, an opinion of the chat or a thought. */
const NOT_A_FACT = new RegExp(
  "^(?:hi|hello|hey|thanks|thank|cheers|great|perfect|cool|nice|lovely|awesome|sounds|" +
    "that(?:'s| is| sounds)|this (?:is|sounds)|it(?:'s| is) (?:raining|sunny|cold|hot|late|" +
    "early|fine|ok|okay|good|great)|good (?:morning|night|evening)|bye|see you|" +
    "i (?:think|guess|suppose|believe|hope|wonder|wish|mean|see|know|bet|assume|agree|" +
    "understand|appreciate|feel|reckon|doubt|imagine|trust|was wondering|am wondering|'m wondering|" +
    "just wanted|was just|'ll think|will think|'ll let|will let|'ll check|will check|" +
    "don't know|do not know|don't think|do not think|don't mind|don't care|can't wait|cannot wait|" +
    "love (?:it|that|this|the idea)|like (?:it|that|this|the idea)|never mind))\\b",
  "i",
);

/** First words of a first-person statement whose "I" was left out. */
const SUBJECTLESS = new RegExp(
  "^(?:can't|cannot|can’t|don't|do not|love|like|prefer|hate|need|always|never|usually|" +
    "really|absolutely|definitely|eat|drink|avoid|only|much prefer)\\b",
  "i",
);

/** The clause is a question or a request to the assistant, not a statement. */
const QUESTION_OR_REQUEST = new RegExp(
  "^(?:what|where|when|why|how|which|who|whom|whose|is (?:it|there|this|that)|are (?:there|they|these)|" +
    "do (?:i|you|we)|does|did|can (?:i|you|we)|could|would you|should|shall|will (?:i|you|it|there)|" +
    "may i|any (?:idea|tips|suggestions)|(?:please )?(?:book|find|show|suggest|recommend|help|tell|" +
    "search|look|check|plan|send|add|reserve|list|compare|give me (?:a|some|the options|ideas)|" +
    "get me (?:a|some)|let's(?! say)|let us(?! say)|pretend|imagine|act|play|ignore|forget everything|" +
    "delete (?:all|every)|wipe|reset|system|assistant))\\b",
  "i",
);

/** Adjectives of a passing state: "I'm tired" is not worth remembering. */
const PASSING = new RegExp(
  "^(?:so |really |very |just |a bit |quite |pretty |kind of )*(?:tired|hungry|thirsty|" +
    "excited|happy|sad|bored|sure|not sure|sorry|glad|curious|wondering|fine|good|great|ok|" +
    "okay|back|here|done|ready|busy|late|early|thinking|looking|confused|lost|home|at|on my way|" +
    "in a hurry|jealous|stressed|exhausted|starving|thrilled|delighted|impressed|interested|" +
    "considering|asking|trying|hoping|planning to ask|in|currently|still deciding|unsure)\\b",
  "i",
);

/** Time words that make a statement a one-off event. */
const ONE_OFF =
  /\b(?:today|tonight|yesterday|this (?:morning|afternoon|evening)|last (?:night|time|week|month|year|summer|winter|spring|autumn)|earlier|just now|right now|at the moment)\b/i;

const PLACE = "([A-Z][\\p{L}'-]+(?: [A-Z][\\p{L}'-]+)*)";

/** One phrasing per known topic, so that a change of mind meets what it changes. */
function canonical(fact: string): string {
  const f = fact;
  const seat = /\b(window|aisle)\b/i.exec(f);
  if (
    seat &&
    /\b(prefer|prefers|like|likes|love|loves|want|wants|seat|seats|person|always|give)\b/i.test(f)
  ) {
    const negated = /\b(not|never|no longer|hates|dislikes)\b/i.test(f);
    return `${negated ? "Does not want" : "Prefers"} ${seat[1].toLowerCase()} seats`;
  }
  const home = new RegExp(
    `^(?:[Ii]s based in|[Ll]ives in|[Mm]oved to|[Hh]as moved to|[Ii]s living in|[Nn]ow lives in)\\s+${PLACE}`,
    "u",
  ).exec(f);
  if (home) return `Lives in ${home[1]}`;
  const company =
    /^(?:(?:usually|always|often|mostly|generally) )?(?:travels|is travell?ing|travell?ing) (alone|solo|on their own|by themselves|with .+)$/i
      .exec(f);
  if (company) {
    return /^with /i.test(company[1]) ? `Travels ${company[1]}` : "Travels alone";
  }
  const going = new RegExp(
    `^(?:[Ii]s|[Aa]re) (?:flying (?:into|to)|going to|heading to|travell?ing to|visiting|off to)\\s+${PLACE}(.*)$`,
    "u",
  ).exec(f);
  if (going) return tidy(`Is travelling to ${going[1]}${going[2]}`);
  return f;
}

/** A clause after its lead-ins, or null when it is not a lasting fact about the user. */
function englishFact(clause: string): string | null {
  let s = clause.trim();
  for (let i = 0; i < 4; i++) s = s.replace(LEAD_INS, "");
  s = s.replace(
    /,?\s*(?:so )?(?:please )?(?:keep (?:that|this) in mind|remember that|note that)\.?$/i,
    "",
  );
  s = s.replace(/,?\s*(?:please|thanks|thank you)$/i, "").trim();
  s = s.replace(
    /[,\s]+(?:now|these days|nowadays|(?:like|as) i (?:said|mentioned|told you)(?: before)?)$/i,
    "",
  ).trim();
  // A statement without its subject: "Can't handle spicy food", "Love long train rides".
  if (SUBJECTLESS.test(s)) s = `I ${s}`;
  // A choice without a verb: "Boutique places over chains, every single time".
  const choice =
    /^([\p{L}][\p{L} -]{0,40}) over ([\p{L}][\p{L} -]{0,40}?)(?:,? (?:always|every (?:single )?time|each time|any day))?$/iu
      .exec(s);
  if (choice && !/^(?:i|we|my|our)\b/i.test(s)) {
    return seenFromOutside(`Prefers ${choice[1].toLowerCase()} over ${choice[2]}`);
  }
  if (!s || NOT_A_FACT.test(s) || QUESTION_OR_REQUEST.test(s)) return null;
  if (/\byou(?:r|rs|'re|'ll)?\b/i.test(s)) return null; // addressed to the assistant
  s = s.replace(/\bcan't\b|\bcan’t\b/gi, "cannot").replace(/\bdon't\b|\bdon’t\b/gi, "do not")
    .replace(/\bdoesn't\b/gi, "does not").replace(/\bwon't\b/gi, "will not").replace(/’/g, "'");

  // Corrections: "it's Lisbon, not Porto"; "make that five of us".
  const party = /\b(\w+) of us\b/i.exec(s);
  if (party && numberOf(party[1])) return `Is travelling as a party of ${numberOf(party[1])}`;
  const corrected = new RegExp(
    `^(?:[Ii]t(?:'s| is)|[Ii] mean(?:t)?|[Mm]ake (?:it|that))\\s+${PLACE},?\\s+not\\s+${PLACE}$`,
    "u",
  )
    .exec(s);
  if (corrected) return `Is travelling to ${corrected[1]}, not ${corrected[2]}`;

  // Said about a thing: "X makes me nervous", "X bores me", "X is a no from me".
  const about: [RegExp, (m: RegExpExecArray) => string][] = [
    [
      /^(.+?) (?:freak|scare|terrif(?:y|ie)|stress|worr(?:y|ie))s? (?:me|them) (?:out)?.*$/i,
      (m) => `Is nervous about ${m[1].toLowerCase()}`,
    ],
    [
      /^(.+?) (?:is|are) (?:my|their) (?:absolute )?(?:favou?rite|go-to|favou?rite thing)\b.*$/i,
      (m) => `Loves ${m[1].toLowerCase()}`,
    ],
    [/^(?:i(?:'m| am)) (?:a )?(?:big |huge )?fan of (.+)$/i, (m) => `Loves ${m[1]}`],
    [
      /^(?:i(?:'m| am)) (?:no|not a|not really a|not much of a) fan of (.+)$/i,
      (m) => `Dislikes ${m[1]}`,
    ],
    [
      /^(.+?) (?:makes?|gets?) me (?:really |very |so |a bit |quite )?(nervous|anxious|scared|uneasy|sick|seasick)$/i,
      (m) => `Is ${m[2]} about ${m[1].toLowerCase()}`,
    ],
    [/^(.+?) (?:bores?|bore) me\b.*$/i, (m) => `Finds ${m[1].toLowerCase()} boring`],
    [
      /^(.+?) (?:drives?|drive) me (?:crazy|mad|nuts|up the wall)$/i,
      (m) => `Dislikes ${m[1].toLowerCase()}`,
    ],
    [/^(.+?) (?:is|are) wasted on me$/i, (m) => `Does not appreciate ${m[1].toLowerCase()}`],
    [
      /^(.+?) (?:is|are) (?:the (?:whole |main |only |real )?reason (?:i|we) (?:travel|go)|what (?:i|we) live for|everything to (?:me|us)|(?:really |very )?important to (?:me|us)|a (?:top )?priority(?: for (?:me|us))?)$/i,
      (m) => `Loves ${m[1].toLowerCase()}`,
    ],
    [
      /^(.+?) (?:is|are) (?:fine|ok|okay|good) (?:by|with|for) (?:me|us)$/i,
      (m) => `Is fine with ${m[1].toLowerCase()}`,
    ],
    [
      /^(.+?) (?:is|are) (?:not|never) (?:really )?my (?:thing|cup of tea|style|scene)$/i,
      (m) => `Dislikes ${m[1].toLowerCase()}`,
    ],
    [
      /^(.+?) (?:is|are) a (?:no|no-go|hard no|dealbreaker)(?: from me| for me)?$/i,
      (m) => `Avoids ${m[1].toLowerCase()}`,
    ],
    [
      /^(.+?) (?:is|are) (?:a must|essential|non-negotiable)(?: for me)?$/i,
      (m) => `Needs ${m[1].toLowerCase()}`,
    ],
    [/^no (.+?) for me$/i, (m) => `Avoids ${m[1]}`],
    [
      /^((?:\S+ ){0,5}\S+),? (?:always|every time|every single time|each time|please always)$/i,
      (m) => `Prefers ${m[1]}`,
    ],
    [
      /^(?:let's say|let us say|make it|make that|say|rather|actually)?\s*(?:around |about |roughly )?((?:[$€£]\s?\d[\d,.]*k?)|(?:\d[\d,.]*k?\s*(?:pounds|euros?|dollars|usd|eur|gbp|bucks)))\s*(?:instead|then|max|maximum|tops|in total)?$/i,
      (m) => `Budget is ${m[1]}`,
    ],
    [/^(?:.+?,\s*)?(?:always|only) (?:the )?(.+?) for me$/i, (m) => `Prefers ${m[1]}`],
    [
      /^(?:give|get|book|put) me (?:an? |the )?(.+?),?\s+(?:from now on|always|every time|in future|going forward)$/i,
      (m) => `Prefers ${m[1]}`,
    ],
    [
      /^(?:there (?:will be|are)|we(?:'re| are)) (\w+) (?:of us|people|travell?ers)\b.*$/i,
      (m) => numberOf(m[1]) ? `Is travelling as a party of ${numberOf(m[1])}` : "",
    ],
  ];
  for (const [re, make] of about) {
    const m = re.exec(s);
    if (m) return seenFromOutside(make(m));
  }

  const rules: [RegExp, (m: RegExpExecArray) => string | null][] = [
    [
      /^(?:i|we)(?: have| 've|'ve)? (?:just )?(?:moved|relocated) to (.+)$/i,
      (m) => `Lives in ${m[1]}`,
    ],
    [/^i(?: am|'m) (?:a|an) (.+?) person$/i, (m) => `Is a ${m[1]} person`],
    [/^i(?: am|'m) (.+)$/i, (m) => PASSING.test(m[1]) ? null : `Is ${m[1]}`],
    [/^we(?: are|'re) (.+)$/i, (m) => PASSING.test(m[1]) ? null : `Are ${m[1]}`],
    [/^(?:i|we) (?:do not|never) (?:really )?do (.+)$/i, (m) => `Avoids ${m[1]}`],
    [/^(?:i|we) do not (\w+)(.*)$/i, (m) => `Does not ${m[1]}${m[2]}`],
    [/^(?:i|we) cannot (.+)$/i, (m) => `Cannot ${m[1]}`],
    [
      /^(?:i|we)(?: would|'d) (?:like|love) to (book|find|know|see if|ask|check|get|reserve|cancel|change|compare|hear)\b.*$/i,
      () => null,
    ],
    [
      /^(?:i|we)(?: would|'d) (?:much )?rather (?:be )?(?:at |in |on |by )?(.+)$/i,
      (m) => `Prefers ${m[1]}`,
    ],
    [/^(?:i|we)(?: would|'d) (.+)$/i, (m) => `Would ${m[1]}`],
    [/^(?:i|we)(?: will|'ll) (.+)$/i, (m) => `Will ${m[1]}`],
    [/^(?:i|we)(?: have|'ve) (been|got|never|always|already) (.+)$/i, (m) => `Has ${m[1]} ${m[2]}`],
    [/^(?:i|we) (?:have|has) (.+)$/i, (m) => `Has ${m[1]}`],
    [/^(?:i|we) no longer (\w+)(.*)$/i, (m) => `No longer ${thirdPerson(m[1])}${m[2]}`],
    [
      /^(?:i|we) used to (\w+)(.*?),? but (?:not anymore|no longer|not any more|not now)$/i,
      (m) => `No longer ${thirdPerson(m[1])}${m[2]}`,
    ],
    [/^(?:i|we) used to (.+)$/i, () => null],
    [
      /^(?:i|we) (never|always|usually|often|rarely|only|really|also|still|definitely|mostly|generally|absolutely) (\w+)(.*)$/i,
      (m) => isPast(m[2]) ? null : `${capitalize(m[1])} ${thirdPerson(m[2])}${m[3]}`,
    ],
    [
      /^(?:i|we) (need|want) to (book|find|know|ask|check|get|reserve|cancel|change)\b.*$/i,
      () => null,
    ],
    [
      /^(?:i|we) (\w+)(.*)$/i,
      (m) => isPast(m[1]) ? null : `${capitalize(thirdPerson(m[1]))}${m[2]}`,
    ],
    [/^(?:my|our) (.+)$/i, (m) => capitalize(m[1])],
    [/^(travell?ing|flying|going|heading) (.+)$/i, (m) => `Is ${m[1].toLowerCase()} ${m[2]}`],
  ];
  for (const [re, make] of rules) {
    const m = re.exec(s);
    if (!m) continue;
    return seenFromOutside(make(m));
  }
  return null;
}

/** A fact in the user's own words, seen from outside, in its topic's phrasing. */
function seenFromOutside(fact: string | null): string | null {
  // A fact whose object is only a pronoun says nothing by itself ("Likes them").
  if (!fact || /^\S+(?: \S+)? (?:them|it|that|this|those|these)$/i.test(fact)) return null;
  const third = fact.replace(/\bmy\b/gi, "their").replace(/\bme\b/gi, "them")
    .replace(/\bmyself\b/gi, "themselves").replace(/\bI'm\b/g, "they're").replace(/\bI\b/g, "they");
  return canonical(tidy(third));
}

// ---------------------------------------------------------------- Spanish, French, German

/** Words of the three languages the rules translate; the rest is kept as written. */
const LEXICON: Record<string, string> = {
  // es
  vegetariano: "vegetarian",
  vegetariana: "vegetarian",
  vegano: "vegan",
  vegana: "vegan",
  celíaco: "coeliac",
  celíaca: "coeliac",
  alérgico: "allergic",
  alérgica: "allergic",
  asientos: "seats",
  asiento: "seat",
  pasillo: "aisle",
  ventanilla: "window",
  ventana: "window",
  mariscos: "seafood",
  marisco: "seafood",
  cacahuetes: "peanuts",
  maní: "peanuts",
  nueces: "nuts",
  perro: "dog",
  gato: "cat",
  hija: "daughter",
  hijo: "son",
  hijos: "children",
  hijas: "daughters",
  esposa: "wife",
  mujer: "wife",
  marido: "husband",
  esposo: "husband",
  pareja: "partner",
  piscina: "pool",
  hoteles: "hotels",
  hotel: "hotel",
  trenes: "trains",
  tren: "train",
  aviones: "planes",
  avión: "plane",
  vuelos: "flights",
  vuelo: "flight",
  carne: "meat",
  cerdo: "pork",
  pescado: "fish",
  alcohol: "alcohol",
  playa: "beach",
  playas: "beaches",
  montaña: "mountains",
  montañas: "mountains",
  silla: "chair",
  ruedas: "wheels",
  // fr
  végétarien: "vegetarian",
  végétarienne: "vegetarian",
  végan: "vegan",
  végane: "vegan",
  végétalien: "vegan",
  végétalienne: "vegan",
  allergique: "allergic",
  cœliaque: "coeliac",
  sièges: "seats",
  siège: "seat",
  couloir: "aisle",
  hublot: "window",
  fenêtre: "window",
  "fruits de mer": "seafood",
  arachides: "peanuts",
  cacahuètes: "peanuts",
  noix: "nuts",
  chien: "dog",
  chat: "cat",
  fille: "daughter",
  fils: "son",
  enfants: "children",
  femme: "wife",
  mari: "husband",
  partenaire: "partner",
  compagnon: "partner",
  compagne: "partner",
  piscine: "pool",
  hôtels: "hotels",
  hôtel: "hotel",
  trains: "trains",
  train: "train",
  avions: "planes",
  avion: "plane",
  vols: "flights",
  viande: "meat",
  porc: "pork",
  poisson: "fish",
  alcool: "alcohol",
  plage: "beach",
  montagne: "mountains",
  // de
  vegetarier: "vegetarian",
  vegetarierin: "vegetarian",
  veganer: "vegan",
  veganerin: "vegan",
  vegetarisch: "vegetarian",
  allergisch: "allergic",
  zöliakie: "coeliac",
  gangplatz: "aisle seat",
  gang: "aisle",
  fensterplatz: "window seat",
  fenster: "window",
  "meeresfrüchte": "seafood",
  erdnüsse: "peanuts",
  nüsse: "nuts",
  nussallergie: "nut allergy",
  hund: "dog",
  katze: "cat",
  tochter: "daughter",
  sohn: "son",
  kinder: "children",
  frau: "wife",
  mann: "husband",
  partner: "partner",
  partnerin: "partner",
  pool: "pool",
  schwimmbad: "pool",
  hotels: "hotels",
  züge: "trains",
  zug: "train",
  bahn: "train",
  flugzeug: "plane",
  flüge: "flights",
  fleisch: "meat",
  schweinefleisch: "pork",
  fisch: "fish",
  alkohol: "alcohol",
  strand: "beach",
  berge: "mountains",
  allergie: "allergy",
  alergia: "allergy",
  rollstuhl: "wheelchair",
  kindern: "children",
  kind: "child",
  niños: "children",
  niñas: "girls",
  gatos: "cats",
  chats: "cats",
  katzen: "cats",
  hunde: "dogs",
  perros: "dogs",
  chiens: "dogs",
  dos: "two",
  tres: "three",
  deux: "two",
  trois: "three",
  zwei: "two",
  drei: "three",

  celiaca: "coeliac",
  celiaco: "coeliac",
  // connecting words
  con: "with",
  avec: "with",
  mit: "with",
  y: "and",
  et: "and",
  und: "and",
  sin: "without",
  sans: "without",
  ohne: "without",
  en: "in",
  à: "in",
  in: "in",
  de: "of",
  del: "of the",
  a: "to",
  aux: "to",
  au: "to",
  gegen: "to",
  auf: "to",
};
const ARTICLES = new Set(
  ("el la los las un una unos unas le les un une des du l d der die das den dem des ein eine " +
    "einen einem einer mi mis mon ma mes mein meine meinem meinen meiner").split(" "),
);

/** A phrase in English, word by word from the lexicon, articles dropped. */
function translate(phrase: string): string {
  let p = phrase.toLowerCase().replace(/\bl'|\bd'/g, "");
  for (const [multi, en] of Object.entries(LEXICON)) {
    if (multi.includes(" ")) p = p.replaceAll(multi, en);
  }
  const out = p.split(/\s+/).filter((w) => w && !ARTICLES.has(w)).map((w) => LEXICON[w] ?? w);
  // "asientos de pasillo" -> "seats of aisle" -> "aisle seats"
  return out.join(" ").replace(/^(\w+) of (\w+)$/, "$2 $1").replace(/\bto to\b/g, "to");
}

type Rule = [RegExp, (rest: string, m: RegExpExecArray) => string];
const OTHER_LANGUAGES: { lang: string; rules: Rule[] }[] = [
  {
    lang: "es",
    rules: [
      [/^(?:yo )?soy (?:alérgic[oa]) (?:a |al )?(.+)$/i, (r) => `Is allergic to ${translate(r)}`],
      [/^(?:siempre )?viajamos (?:siempre )?con (.+)$/i, (r) => `Travels with ${translate(r)}`],
      [/^vivimos en (.+)$/i, (r) => `Lives in ${r}`],
      [/^tenemos (.+)$/i, (r) => `Has ${translate(r)}`],
      [/^(?:yo )?(?:soy|estoy) (.+)$/i, (r) => `Is ${translate(r)}`],
      [/^(?:yo )?prefiero (.+)$/i, (r) => `Prefers ${translate(r)}`],
      [/^(?:a mí )?me encanta(?:n)? (.+)$/i, (r) => `Loves ${translate(r)}`],
      [/^no me gusta(?:n)? (.+)$/i, (r) => `Dislikes ${translate(r)}`],
      [/^(?:a mí )?me gusta(?:n)? (.+)$/i, (r) => `Likes ${translate(r)}`],
      [/^odio (.+)$/i, (r) => `Hates ${translate(r)}`],
      [/^(?:yo )?vivo en (.+)$/i, (r) => `Lives in ${r}`],
      [/^no como (.+)$/i, (r) => `Does not eat ${translate(r)}`],
      [/^no bebo(?: (.+))?$/i, (r) => `Does not drink${r ? ` ${translate(r)}` : ""}`],
      [/^(?:siempre )?viajo (?:siempre )?con (.+)$/i, (r) => `Travels with ${translate(r)}`],
      [/^tengo (.+)$/i, (r) => `Has ${translate(r)}`],
      [
        /^(?:mi|nuestra|nuestro) (\S+) (?:es|está) (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} is ${translate(m[2])}`,
      ],
      [
        /^(?:mi|nuestra|nuestro) (\S+) tiene (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} has ${translate(m[2])}`,
      ],
    ],
  },
  {
    lang: "fr",
    rules: [
      [/^nous voyageons (?:toujours )?avec (.+)$/i, (r) => `Travels with ${translate(r)}`],
      [/^nous (?:habitons|vivons) (?:à|en|au) (.+)$/i, (r) => `Lives in ${r}`],
      [/^nous avons (.+)$/i, (r) => `Has ${translate(r)}`],
      [
        /^je suis allergique (?:à la |à l'|au |aux |à )?(.+)$/i,
        (r) => `Is allergic to ${translate(r)}`,
      ],
      [/^je suis (.+)$/i, (r) => `Is ${translate(r)}`],
      [/^je préfère (.+)$/i, (r) => `Prefers ${translate(r)}`],
      [/^j'adore (.+)$/i, (r) => `Loves ${translate(r)}`],
      [/^je n'aime pas (.+)$/i, (r) => `Dislikes ${translate(r)}`],
      [/^j'aime (.+)$/i, (r) => `Likes ${translate(r)}`],
      [/^je déteste (.+)$/i, (r) => `Hates ${translate(r)}`],
      [/^(?:j'habite|je vis|je réside) (?:à|en|au) (.+)$/i, (r) => `Lives in ${r}`],
      [/^je ne mange (?:pas|jamais) (?:de |d')?(.+)$/i, (r) => `Does not eat ${translate(r)}`],
      [
        /^je ne bois (?:pas|jamais)(?: (?:de |d')?(.+))?$/i,
        (r) => `Does not drink${r ? ` ${translate(r)}` : ""}`,
      ],
      [/^je voyage (?:toujours )?avec (.+)$/i, (r) => `Travels with ${translate(r)}`],
      [/^j'ai (.+)$/i, (r) => `Has ${translate(r)}`],
      [
        /^(?:mon|ma|notre) (\S+) est (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} is ${translate(m[2])}`,
      ],
      [
        /^(?:mon|ma|notre) (\S+) a (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} has ${translate(m[2])}`,
      ],
    ],
  },
  {
    lang: "de",
    rules: [
      [/^ich bin allergisch gegen (.+)$/i, (r) => `Is allergic to ${translate(r)}`],
      [/^wir reisen (?:immer |meistens )?mit (.+)$/i, (r) => `Travels with ${translate(r)}`],
      [/^wir sind (.+)$/i, (r) => `Are ${translate(r)}`],
      [/^wir haben (.+)$/i, (r) => `Has ${translate(r)}`],
      [/^wir (?:wohnen|leben) in (.+)$/i, (r) => `Lives in ${r}`],
      [/^ich bin (.+)$/i, (r) => `Is ${translate(r)}`],
      [/^ich (?:bevorzuge|nehme lieber) (.+)$/i, (r) => `Prefers ${translate(r)}`],
      [/^ich liebe (.+)$/i, (r) => `Loves ${translate(r)}`],
      [/^ich mag (?:keine?n? )(.+)$/i, (r) => `Dislikes ${translate(r)}`],
      [/^ich mag (.+)$/i, (r) => `Likes ${translate(r)}`],
      [/^ich hasse (.+)$/i, (r) => `Hates ${translate(r)}`],
      [/^ich (?:wohne|lebe) in (.+)$/i, (r) => `Lives in ${r}`],
      [/^ich esse (?:kein|keine|keinen) (.+)$/i, (r) => `Does not eat ${translate(r)}`],
      [
        /^ich trinke (?:kein|keine|keinen|nie) ?(.*)$/i,
        (r) => `Does not drink${r ? ` ${translate(r)}` : ""}`,
      ],
      [
        /^ich reise (immer |meistens |oft )?mit (.+)$/i,
        (_, m) => `${m[1] ? "Always travels" : "Travels"} with ${translate(m[2])}`,
      ],
      [/^ich habe (.+)$/i, (r) => `Has ${translate(r)}`],
      [
        /^(?:mein|meine|unser|unsere) (\S+) (?:ist|sind) (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} is ${translate(m[2])}`,
      ],
      [
        /^(?:mein|meine|unser|unsere) (\S+) hat (.+)$/i,
        (_, m) => `${capitalize(translate(m[1]))} has ${translate(m[2])}`,
      ],
    ],
  },
];

/** A Spanish, French or German statement in English, its own words in parentheses. */
function foreignFact(clause: string): string | null {
  const s = clause.trim().replace(
    /^(?:pues|bueno|además|también|alors|aussi|en fait|also|übrigens|auch)\b[,\s]*/i,
    "",
  );
  for (const { rules } of OTHER_LANGUAGES) {
    for (const [re, make] of rules) {
      const m = re.exec(s);
      if (m) return `${canonical(tidy(make(m[1] ?? "", m)))} ("${s}")`;
    }
  }
  return null;
}

// ---------------------------------------------------------------- extraction

const FORGET =
  /^(?:please\s+|can you\s+|could you\s+)?(?:forget|delete|remove|erase|drop)\s+(?:that|the fact that|about)?\s*(.+)$/i;

/** What to forget when it is named rather than stated: "the bit about my seat preference". */
function forgetPhrase(text: string): string | null {
  const p = text.split(",")[0].replace(
    /^(?:the |that |this )?(?:thing|part|bit|stuff|fact|note|memory|detail|info(?:rmation)?)s? (?:about|on|regarding) /i,
    "",
  ).replace(/^what i (?:said|told you) (?:about|regarding) /i, "").replace(/\b(?:my|our)\b/gi, "")
    .trim();
  const words = wordsOf(p);
  if (words.length === 0 || words.length > 6 || /^(?:all|everything|every|anything)\b/i.test(p)) {
    return null;
  }
  return capitalize(tidy(p));
}

/** A message as clauses: sentences, then "and I ...", "but I ...", ", I ...". */
function clauses(text: string): string[] {
  // Markup and JSON are not statements: a tag or an object in the text ends a clause.
  const cleaned = text.replace(/<\/?[a-z][^>]*>/gi, ". ").replace(/\{[^{}]*\}|\[[^[\]]*\]/g, ". ")
    .replace(/\{[^{}]*\}|\[[^[\]]*\]/g, ". ");
  const out: string[] = [];
  for (const sentence of cleaned.split(/(?<=[.!?;])\s+|\n+/)) {
    const t = sentence.trim();
    if (!t || t.endsWith("?")) continue; // questions are not statements
    const parts = t.replace(/[.!;]+$/, "").split(
      /\s*(?:,\s*|\s+)(?:and|but|y|pero|et|mais|und|aber)\s+(?=(?:i|i'm|i've|i'd|my|we|we're|our|soy|prefiero|me|mi|vivo|tengo|je|j'|mon|ma|ich|mein|meine|wir)\b)|,\s+(?=(?:i|i'm|i've|i'd|we|we're)\b)/i,
    );
    out.push(...parts.map((p) => p.trim()).filter(Boolean));
  }
  return out;
}

/** Drops a speaker label; null for text that claims to be the system or the assistant. */
function unlabelled(clause: string): string | null {
  const label = /^(\w+)\s*:\s*(.*)$/.exec(clause);
  if (!label) return clause;
  if (/^(user|me|traveller|traveler)$/i.test(label[1])) return label[2];
  if (/^(system|assistant|ai|bot|model|admin|developer|instructions?)$/i.test(label[1])) {
    return null;
  }
  return clause;
}

/** The facts and forget requests of a conversation's user messages. */
export function extractFacts(data: Record<string, unknown>): { facts: string[]; forget: string[] } {
  const messages = Array.isArray(data.messages) ? data.messages : [];
  const facts: string[] = [];
  const forget: string[] = [];
  const topics = new Set<string>();
  for (const m of messages) {
    if (m?.role !== "user" || typeof m.content !== "string") continue;
    for (const raw of clauses(m.content)) {
      const clause = unlabelled(raw);
      if (!clause || ONE_OFF.test(clause) && !/\b(?:moved|relocated|live|lives)\b/i.test(clause)) {
        continue;
      }
      const asked = FORGET.exec(clause.replace(LEAD_INS, ""));
      if (asked) {
        const fact = englishFact(asked[1]) ?? foreignFact(asked[1]) ?? forgetPhrase(asked[1]);
        if (fact && !forget.includes(fact)) forget.push(fact);
        continue;
      }
      const fact = englishFact(clause) ?? foreignFact(clause);
      if (!fact || facts.includes(fact)) continue;
      // Two clauses about one concept ("wine is wasted on me, I don't drink"): the first.
      const concept = topicOf(fact)?.topic ?? wordsOf(fact).map(conceptOf).find(Boolean);
      if (concept && topics.has(concept)) continue;
      if (concept) topics.add(concept);
      facts.push(fact);
    }
  }
  return { facts, forget };
}

// ---------------------------------------------------------------- decisions

interface Topic {
  topic: string;
  value: string;
}

/** The topic and value of a fact, for the topics the extraction phrases one way. */
export function topicOf(text: string): Topic | null {
  const t = text.replace(/\s*\(".*"\)$/, "");
  const lower = t.toLowerCase();
  let m = /\b(window|aisle)\b/.exec(lower);
  if (m && /seat/.test(lower)) return { topic: "seat", value: m[1] };
  m = /^travels (alone|with .+)$/.exec(lower);
  if (m) return { topic: "companions", value: m[1] };
  m = /^lives in (.+)$/.exec(lower);
  if (m) return { topic: "home", value: m[1] };
  m = /^is travelling to (\p{L}[\p{L}' -]*?)(?:,| for | in | on |$)/u.exec(lower);
  if (m) return { topic: "destination", value: m[1] };
  m = /party of (\d+)/.exec(lower);
  if (m) return { topic: "party", value: m[1] };
  m = /\b(?:budget|spend)\b.*?(\d[\d,.]*)/.exec(lower);
  if (m) return { topic: "budget", value: m[1].replace(/,/g, "") };
  m = /\b(economy|business|first|premium economy)\b(?: class)?/.exec(lower);
  if (m && /\b(fl(?:y|ies)|class|cabin)\b/.test(lower)) return { topic: "cabin", value: m[1] };
  const scenery = /^(?:prefers|likes|loves) /.test(lower)
    ? wordsOf(lower).find((w) => conceptOf(w) === "landscape")
    : undefined;
  if (scenery) return { topic: "landscape", value: stem(scenery) };
  const diet = wordsOf(lower).map(conceptOf).find((c) =>
    c && ["gluten", "vegetarian", "vegan"].includes(c)
  );
  if (diet) return { topic: "diet", value: diet };
  return null;
}

/** Stems of a fact's frame ("is", "prefers"), not of what it is about. */
const FRAME = new Set(["is", "are", "has", "pref", "lik", "lov", "want", "the", "to", "of", "and"]);

const NEGATED = /\b(no longer|not anymore|anymore|not|never)\b/i;
const NEGATIONS = /\b(no longer|not anymore|anymore|not|never|does|do)\b/gi;
const stems = (text: string) => wordsOf(text.replace(/\s*\(".*"\)$/, "")).map((w) => stem(w));

function jaccard(a: string[], b: string[]): number {
  const x = new Set(a), y = new Set(b);
  const shared = [...x].filter((w) => y.has(w)).length;
  return shared / (x.size + y.size - shared || 1);
}

interface Numbered {
  id: number;
  text: string;
}

/** One fact's decision among its related memories. */
function decideOne(fact: Numbered & { forget?: boolean }, related: Numbered[]) {
  const say = (event: string, memory: Numbered | undefined) => ({
    fact: fact.id,
    event,
    memory: memory?.id ?? null,
  });
  const ft = topicOf(fact.text);
  const negated = NEGATED.test(fact.text);
  const sameTopic = (m: Numbered) => {
    const mt = topicOf(m.text);
    return ft !== null && mt !== null && mt.topic === ft.topic;
  };
  const saysSame = (m: Numbered) =>
    m.text.toLowerCase() === fact.text.toLowerCase() ||
    (sameTopic(m) && topicOf(m.text)!.value === ft!.value && NEGATED.test(m.text) === negated);
  if (fact.forget) {
    // The most similar related memory that shares a word of substance with the request.
    const own = new Set(stems(fact.text).filter((w) => w.length >= 3 && !FRAME.has(w)));
    const target = related.find(saysSame) ??
      related.find((m) => stems(m.text).some((w) => own.has(w)));
    return say(target ? "DELETE" : "NONE", target);
  }
  const same = related.find(saysSame);
  if (same) return say("NONE", same);
  // A correction, "X, not Y": the memory that says Y is the one it corrects.
  const wrong = /, not ([\p{L}][\p{L}'-]*)/u.exec(fact.text)?.[1]?.toLowerCase();
  const corrected = wrong && related.find((m) => wordsOf(m.text).includes(wrong));
  if (corrected) return say("UPDATE", corrected);
  if (negated) {
    // "Is no longer vegetarian" against "Is vegetarian": the rest of the words agree.
    const positive = stems(fact.text.replace(NEGATIONS, " "));
    const target = related.find((m) =>
      !NEGATED.test(m.text) && (sameTopic(m) || jaccard(stems(m.text), positive) >= 0.5)
    );
    if (target) return say("DELETE", target);
  }
  const onTopic = related.find(sameTopic);
  if (onTopic) return say("UPDATE", onTopic);
  const fw = stems(fact.text);
  const update = related.find((m) => {
    const mw = stems(m.text);
    return mw[0] === fw[0] && jaccard(mw, fw) >= 0.5;
  });
  return update ? say("UPDATE", update) : say("ADD", undefined);
}

/** Decisions for new facts, each against its own related memories, by number. */
export function decide(data: Record<string, unknown>) {
  const list = (v: unknown): (Numbered & { related_memories?: unknown; forget?: boolean })[] =>
    (Array.isArray(v) ? v : []).filter((x) =>
      typeof x?.text === "string" && Number.isInteger(x?.id)
    );
  const memories = list(data.existing_memories);
  const decisions = list(data.new_facts).map((f) => {
    const related = Array.isArray(f.related_memories)
      ? memories.filter((m) => (f.related_memories as unknown[]).includes(m.id))
      : memories;
    return decideOne(f, related);
  });
  return { decisions };
}

// ---------------------------------------------------------------- replies

/**
 * A chat reply that says what the prompt held: the last user message, and from the
 * system messages' <data> blocks the memories and the trip (the chat function's
 * context), so tests and demos can see the grounding.
 */
function groundedReply(messages: ChatMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const said = typeof lastUser?.content === "string" ? lastUser.content.trim() : "";
  const context = dataOf(messages.filter((m) => m.role === "system"));
  const parts = [`(local model) You said: ${said.slice(0, 200)}`];
  const memories = Array.isArray(context.memories) ? context.memories : [];
  const texts = memories.map((m) => m?.text).filter((t) => typeof t === "string");
  if (texts.length) parts.push(`I remember: ${texts.join("; ")}.`);
  const trip = context.trip as Record<string, unknown> | undefined;
  if (trip && typeof trip.name === "string") {
    const when = trip.start_date ? `, ${trip.start_date} to ${trip.end_date}` : "";
    parts.push(`Your trip: ${trip.name} (${trip.destination ?? "no destination yet"}${when}).`);
  }
  return parts.join(" ");
}

/** The assistant's answer to a chat completion request, as text. */
export function localAnswer(body: Record<string, unknown>): string {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
  const format = body.response_format as
    | { type?: string; json_schema?: { name?: string } }
    | undefined;
  const task = format?.type === "json_schema" ? format.json_schema?.name : undefined;
  if (task === "memory_facts") return JSON.stringify(extractFacts(dataOf(messages)));
  if (task === "memory_decisions") return JSON.stringify(decide(dataOf(messages)));
  const reply = groundedReply(messages);
  if (format?.type === "json_object" || format?.type === "json_schema") {
    return JSON.stringify({ reply });
  }
  return reply;
}

/** A rough token count (4 characters a token), as the usage fields need one. */
export const tokens = (text: string) => Math.ceil(text.length / 4);
