// The memory evaluation's third set (npm run eval:memory -- --set probes): short
// conversations written in four batches while the local model's rules were being
// extended, each batch in new wording and run once before any rule was changed for
// it, to estimate how the rules do on conversations they were not written for
// (docs/memory.md, "Evaluation"). They stay as regression cases.
//
// Same format as eval/conversations.ts.

import type { Conversation } from "./conversations.ts";

export const PROBES: Conversation[] = [
  // Batch 1.
  {
    name: "p1",
    turns: [{ user: "Heights freak me out, so no glass-floor walkways." }],
    expected: [["height"]],
  },
  { name: "p2", turns: [{ user: "My son has a severe egg allergy." }], expected: [["son", "egg"]] },
  { name: "p3", turns: [{ user: "We're a family of six." }], expected: [["6|six"]] },
  { name: "p4", turns: [{ user: "I'm Jewish and keep kosher." }], expected: [["kosher"]] },
  { name: "p5", turns: [{ user: "Just got back from Rome, it was amazing!" }], expected: [] },
  { name: "p6", turns: [{ user: "Where should we eat tonight?" }], expected: [] },
  {
    name: "p7",
    turns: [{ user: "Museums are my favourite thing to do on holiday." }],
    expected: [["museum"]],
  },
  {
    name: "p8",
    turns: [{ user: "I live in Leeds." }, { user: "Actually we relocated to Bristol last month." }],
    expected: [["bristol"]],
  },
  {
    name: "p9",
    turns: [{ user: "I usually travel solo." }, { user: "These days I travel with my wife." }],
    expected: [["wife"]],
  },
  {
    name: "p10",
    turns: [{ user: "Mi marido es alérgico al marisco." }],
    expected: [["marido|husband", "marisco|seafood|shellfish"]],
  },
  {
    name: "p11",
    turns: [{ user: "Je suis végétarienne." }],
    expected: [["végétarienne|vegetarian"]],
  },
  { name: "p12", turns: [{ user: "Ich hasse lange Busfahrten." }], expected: [["busfahrten|bus"]] },
  { name: "p13", turns: [{ user: "Can't handle spicy food at all." }], expected: [["spicy"]] },
  { name: "p14", turns: [{ user: "Good morning! How are you today?" }], expected: [] },
  { name: "p15", turns: [{ user: "I'd rather take the train than fly." }], expected: [["train"]] },
  { name: "p16", turns: [{ user: "Book the cheapest flight to Oslo please." }], expected: [] },
  {
    name: "p17",
    turns: [{ user: "I'm vegan." }, { user: "I eat only plant-based food." }],
    expected: [["vegan|plant"]],
  },
  { name: "p18", turns: [{ user: "My partner's name is Sam." }], expected: [["sam"]] },
  {
    name: "p19",
    turns: [{ user: "We're flying to Rome in June." }, { user: "Oops, I meant Naples, not Rome." }],
    expected: [["naples"]],
  },
  {
    name: "p20",
    turns: [{ user: "I prefer aisle seats." }, {
      user: "Please delete the thing about my seat preference.",
    }],
    expected: [],
  },
  { name: "p21", turns: [{ user: "I'm no fan of big resorts." }], expected: [["resort"]] },
  {
    name: "p22",
    turns: [{ user: "I had a terrible experience with Ryanair once." }],
    expected: [],
  },
  { name: "p23", turns: [{ user: "Our dog comes everywhere with us." }], expected: [["dog"]] },
  { name: "p24", turns: [{ user: "I'm 72 and not very mobile." }], expected: [["mobile|72"]] },
  {
    name: "p25",
    turns: [{ user: "I eat meat again now, I'm no longer vegetarian." }],
    expected: [["vegetarian|meat"]],
  },
  // Batch 2.
  {
    name: "q1",
    turns: [{ user: "Hotels without air conditioning are a dealbreaker." }],
    expected: [["air conditioning"]],
  },
  { name: "q2", turns: [{ user: "My wife doesn't eat fish." }], expected: [["wife", "fish"]] },
  { name: "q3", turns: [{ user: "Could you check the weather in Oslo?" }], expected: [] },
  {
    name: "q4",
    turns: [{ user: "I'm a nurse, so I work weekends mostly." }],
    expected: [["nurse"]],
  },
  { name: "q5", turns: [{ user: "Last summer we rented a villa in Crete." }], expected: [] },
  {
    name: "q6",
    turns: [{ user: "I hate early flights." }, { user: "Early flights are fine now actually." }],
    expected: [["early"]],
  },
  { name: "q7", turns: [{ user: "Soy celíaca." }], expected: [["celíaca|coeliac|celiac|gluten"]] },
  { name: "q8", turns: [{ user: "J'habite à Lyon." }], expected: [["lyon"]] },
  {
    name: "q9",
    turns: [{ user: "Wir reisen mit zwei Kindern." }],
    expected: [["kinder|children|kids"]],
  },
  { name: "q10", turns: [{ user: "Lol that's hilarious." }], expected: [] },
  {
    name: "q11",
    turns: [{ user: "I need wheelchair access everywhere." }],
    expected: [["wheelchair"]],
  },
  { name: "q12", turns: [{ user: "Window seat, always." }], expected: [["window"]] },
  {
    name: "q13",
    turns: [{ user: "My budget is around 800 pounds." }, {
      user: "Let's say 1000 pounds instead.",
    }],
    expected: [["1000|1,000"]],
  },
  {
    name: "q14",
    turns: [{ user: "I'm allergic to cats." }, {
      user: "Forget the cat allergy, that was my sister.",
    }],
    expected: [],
  },
  {
    name: "q15",
    turns: [{ user: "Beaches bore me, I'd much rather hike." }],
    expected: [["beach"], ["hike"]],
  },
  { name: "q16", turns: [{ user: "We never travel without our two cats." }], expected: [["cats"]] },
  { name: "q17", turns: [{ user: "Tell me about Kyoto's temples." }], expected: [] },
  { name: "q18", turns: [{ user: "Honestly I can't sleep on planes." }], expected: [["sleep"]] },
  {
    name: "q19",
    turns: [{ user: "I'm flying business for this one since work pays." }],
    expected: [["business"]],
  },
  {
    name: "q20",
    turns: [{ user: "I'm lactose intolerant." }, { user: "Dairy doesn't agree with me." }],
    expected: [["lactose|dairy"]],
  },
  // Batch 3.
  {
    name: "r1",
    turns: [{ user: "I get motion sick on boats." }],
    expected: [["motion sick|seasick|boat"]],
  },
  {
    name: "r2",
    turns: [{ user: "My mum is coming with us and she walks with a cane." }],
    expected: [["mum|mother", "cane"]],
  },
  { name: "r3", turns: [{ user: "What's the best time to visit Peru?" }], expected: [] },
  {
    name: "r4",
    turns: [{ user: "Street food is the whole reason I travel." }],
    expected: [["street food"]],
  },
  { name: "r5", turns: [{ user: "We went to Bali for our honeymoon." }], expected: [] },
  { name: "r6", turns: [{ user: "I always book refundable rates." }], expected: [["refundable"]] },
  {
    name: "r7",
    turns: [{ user: "I'm based in Dublin." }, { user: "Correction: I live in Cork, not Dublin." }],
    expected: [["cork"]],
  },
  { name: "r8", turns: [{ user: "Prefiero viajar en tren." }], expected: [["tren|train"]] },
  {
    name: "r9",
    turns: [{ user: "Je n'aime pas les croisières." }],
    expected: [["croisières|cruise"]],
  },
  {
    name: "r10",
    turns: [{ user: "Mein Mann ist Vegetarier." }],
    expected: [["mann|husband", "vegetari"]],
  },
  { name: "r11", turns: [{ user: "Haha, you're funny." }], expected: [] },
  {
    name: "r12",
    turns: [{ user: "Hostels are fine by me, I'm on a tight budget." }],
    expected: [["hostel"], ["budget"]],
  },
  { name: "r13", turns: [{ user: "I'm pregnant, due in March." }], expected: [["pregnant"]] },
  {
    name: "r14",
    turns: [{ user: "I prefer trains." }, { user: "I prefer trains, like I said." }],
    expected: [["train"]],
  },
  {
    name: "r15",
    turns: [{ user: "I used to love camping but not anymore." }],
    expected: [["camping"]],
  },
  { name: "r16", turns: [{ user: "I'm not a morning person at all." }], expected: [["morning"]] },
  {
    name: "r17",
    turns: [{ user: "Remember that my son is autistic and needs quiet spaces." }],
    expected: [["son", "autistic"]],
  },
  {
    name: "r18",
    turns: [{ user: "Please find me a cheap hotel in Berlin for next weekend." }],
    expected: [],
  },
  {
    name: "r19",
    turns: [{ user: "I am gluten-free." }, { user: "I'm not gluten-free anymore." }],
    expected: [["gluten", "not|no longer"]],
  },
  { name: "r20", turns: [{ user: "Our anniversary is on 12 May." }], expected: [["anniversary"]] },
  // Batch 4.
  { name: "s1", turns: [{ user: "I'm terrified of turbulence." }], expected: [["turbulence"]] },
  {
    name: "s2",
    turns: [{ user: "My father needs a room with a walk-in shower." }],
    expected: [["father|dad", "shower"]],
  },
  { name: "s3", turns: [{ user: "Any good sushi places near Shinjuku?" }], expected: [] },
  {
    name: "s4",
    turns: [{ user: "Boutique places over chains, every single time." }],
    expected: [["boutique"]],
  },
  {
    name: "s5",
    turns: [{ user: "Yesterday I lost my passport at the airport, nightmare." }],
    expected: [],
  },
  {
    name: "s6",
    turns: [{ user: "We're planning our honeymoon in the Maldives." }],
    expected: [["maldives"]],
  },
  {
    name: "s7",
    turns: [{ user: "I'm flying out of Heathrow." }, { user: "Wait, it's Gatwick, not Heathrow." }],
    expected: [["gatwick"]],
  },
  {
    name: "s8",
    turns: [{ user: "Odio los vuelos con escalas." }],
    expected: [["escalas|layover|stopover|connection"]],
  },
  { name: "s9", turns: [{ user: "Je voyage toujours avec mon fils." }], expected: [["fils|son"]] },
  { name: "s10", turns: [{ user: "Ich esse kein Fleisch." }], expected: [["fleisch|meat"]] },
  { name: "s11", turns: [{ user: "Cool, thanks a lot!" }], expected: [] },
  {
    name: "s12",
    turns: [{ user: "My budget is 5000 euros." }, { user: "Make it 4000 euros." }],
    expected: [["4000"]],
  },
  {
    name: "s13",
    turns: [{ user: "I can't stand crowded beaches." }],
    expected: [["crowded|beach"]],
  },
  {
    name: "s14",
    turns: [{ user: "I like museums." }, { user: "Museums are great, I like them." }],
    expected: [["museum"]],
  },
  { name: "s15", turns: [{ user: "Please forget my home airport." }], expected: [] },
  {
    name: "s16",
    turns: [{ user: "I'm diabetic, so I need regular meals." }],
    expected: [["diabetic"]],
  },
  { name: "s17", turns: [{ user: "Our kids are 3 and 6." }], expected: [["kids|children"]] },
  { name: "s18", turns: [{ user: "Could you find a quiet hotel in Rome?" }], expected: [] },
  {
    name: "s19",
    turns: [{ user: "I prefer the mountains." }, {
      user: "These days I'd rather be at the beach.",
    }],
    expected: [["beach"]],
  },
  { name: "s20", turns: [{ user: "My wife is pregnant." }], expected: [["wife", "pregnant"]] },
];
