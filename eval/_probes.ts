import { runCase, summarise, printErrors } from "./memory.ts";
const P = [
 { name: "s1", turns: [{ user: "I'm terrified of turbulence." }], expected: [["turbulence"]] },
 { name: "s2", turns: [{ user: "My father needs a room with a walk-in shower." }], expected: [["father|dad", "shower"]] },
 { name: "s3", turns: [{ user: "Any good sushi places near Shinjuku?" }], expected: [] },
 { name: "s4", turns: [{ user: "Boutique places over chains, every single time." }], expected: [["boutique"]] },
 { name: "s5", turns: [{ user: "Yesterday I lost my passport at the airport, nightmare." }], expected: [] },
 { name: "s6", turns: [{ user: "We're planning our honeymoon in the Maldives." }], expected: [["maldives"]] },
 { name: "s7", turns: [{ user: "I'm flying out of Heathrow." }, { user: "Wait, it's Gatwick, not Heathrow." }], expected: [["gatwick"]] },
 { name: "s8", turns: [{ user: "Odio los vuelos con escalas." }], expected: [["escalas|layover|stopover|connection"]] },
 { name: "s9", turns: [{ user: "Je voyage toujours avec mon fils." }], expected: [["fils|son"]] },
 { name: "s10", turns: [{ user: "Ich esse kein Fleisch." }], expected: [["fleisch|meat"]] },
 { name: "s11", turns: [{ user: "Cool, thanks a lot!" }], expected: [] },
 { name: "s12", turns: [{ user: "My budget is 5000 euros." }, { user: "Make it 4000 euros." }], expected: [["4000"]] },
 { name: "s13", turns: [{ user: "I can't stand crowded beaches." }], expected: [["crowded|beach"]] },
 { name: "s14", turns: [{ user: "I like museums." }, { user: "Museums are great, I like them." }], expected: [["museum"]] },
 { name: "s15", turns: [{ user: "Please forget my home airport." }], expected: [] },
 { name: "s16", turns: [{ user: "I'm diabetic, so I need regular meals." }], expected: [["diabetic"]] },
 { name: "s17", turns: [{ user: "Our kids are 3 and 6." }], expected: [["kids|children"]] },
 { name: "s18", turns: [{ user: "Could you find a quiet hotel in Rome?" }], expected: [] },
 { name: "s19", turns: [{ user: "I prefer the mountains." }, { user: "These days I'd rather be at the beach." }], expected: [["beach"]] },
 { name: "s20", turns: [{ user: "My wife is pregnant." }], expected: [["wife", "pregnant"]] },
];
const results = [];
for (const c of P) results.push(await runCase(c));
printErrors(results);
const s = summarise("probes", P, results);
console.log(s.precision, s.recall, s.duplicates, s.merged, s.unexpected);
