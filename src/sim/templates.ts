/**
 * Task templates: each makes a readable English question with its correct
 * answer, a plausible wrong answer (what a failing agent writes), a short
 * correct working, the check the engine will run, and the skills it needs.
 */
import { int, pick, type Rng } from "./util.js";

export type SimCheck =
  | { type: "exact"; expected: string }
  | { type: "regex"; pattern: string }
  | { type: "numeric"; expected: string | number; tolerance?: number }
  | { type: "json"; expected: unknown }
  | { type: "rubric"; rubric: string };

export interface Made {
  input: string;
  answer: string;
  wrong: string;
  steps: string;
  check: SimCheck;
  /** Rubric tasks: the phrases a passing answer must contain. */
  elements?: string[];
}

export interface Template {
  name: string;
  kind: SimCheck["type"];
  /** Skills every instance needs. */
  core: readonly string[];
  /** Skills an instance may also need. */
  pool: readonly string[];
  make(r: Rng): Made;
}

const NAMES = ["Mia", "Omar", "Priya", "Lena", "Kofi", "Sara", "Tomas", "Yuki", "Ines", "Ravi", "Nadia", "Hugo"];
const ITEMS = ["notebooks", "pens", "mugs", "tickets", "candles", "folders"];
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const WORDS = ["harbor", "lantern", "meadow", "orchard", "pillow", "quarry", "ribbon", "saddle", "timber", "velvet", "walnut", "canyon", "garden", "island", "puzzle", "rocket"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const CAUSES = ["database migration", "expired certificate", "vendor outage", "failing load test", "missing legal review", "broken build pipeline"];
const DECISIONS = ["switch to weekly releases", "freeze new features", "move the standup to 10:00", "adopt the new style guide", "retire the old dashboard"];
const COMPONENTS = ["login page", "checkout form", "search bar", "settings screen", "upload dialog"];
const BROWSERS = ["Firefox", "Safari", "Chrome", "Edge"];

const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
const frac = (n: number, d: number): string => {
  const g = gcd(n, d);
  return `${n / g}/${d / g}`;
};
const money = (x: number): number => Math.round(x * 100) / 100;
const pad2 = (n: number): string => String(n).padStart(2, "0");
const isoDate = (d: Date): string => `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
const hhmm = (mins: number): string => `${pad2(Math.floor(mins / 60) % 24)}:${pad2(mins % 60)}`;
const exactPattern = (s: string): string => `^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`;

function rubricOf(elements: string[]): string {
  return `A passing answer mentions each of these: ${elements.map((e) => `"${e}"`).join("; ")}. Any missing element fails the answer.`;
}

export const TEMPLATES: readonly Template[] = [
  { name: "change", kind: "numeric", core: ["verify"], pool: ["units", "givens", "decompose", "sanity", "restate"],
    make(r) {
      const who = pick(r, NAMES), item = pick(r, ITEMS), p = int(r, 2, 9), n = int(r, 2, 6);
      const bill = [20, 50, 100].find((b) => b > p * n) ?? 100;
      const ans = bill - p * n;
      return { input: `A shop sells ${item} at $${p} each. ${who} buys ${n} ${item} and pays with a $${bill} bill. How much change, in dollars, does ${who} receive?`,
        answer: String(ans), wrong: String(ans + p), steps: `${n} x $${p} = $${p * n}; $${bill} - $${p * n} = $${ans}.`,
        check: { type: "numeric", expected: ans } };
    } },
  { name: "speed", kind: "numeric", core: ["units", "decompose"], pool: ["givens", "verify", "sanity", "assumptions", "show-work"],
    make(r) {
      const v = 5 * int(r, 8, 18), h = int(r, 2, 5), k = int(r, 2, 9);
      return { input: `A train covers ${v * h} km in ${h} hours. At the same speed, how many km does it travel in ${k} hours?`,
        answer: String(v * k), wrong: String(v * (k + 1)), steps: `${v * h} / ${h} = ${v} km/h; ${v} x ${k} = ${v * k} km.`,
        check: { type: "numeric", expected: v * k } };
    } },
  { name: "discount", kind: "numeric", core: ["precision", "verify"], pool: ["decompose", "show-work", "units", "sanity"],
    make(r) {
      const p = int(r, 20, 200), x = pick(r, [10, 15, 20, 25, 30]), y = pick(r, [5, 8, 10]);
      const ans = money(p * (1 - x / 100) * (1 + y / 100));
      return { input: `A jacket costs $${p}. It is discounted by ${x}%, and then a sales tax of ${y}% is added to the discounted price. What is the final price in dollars, rounded to the nearest cent?`,
        answer: ans.toFixed(2), wrong: money(p * (1 - x / 100 + y / 100)).toFixed(2), steps: `$${p} x ${1 - x / 100} x ${1 + y / 100} = $${ans.toFixed(2)}.`,
        check: { type: "numeric", expected: ans, tolerance: 0.01 } };
    } },
  { name: "path", kind: "numeric", core: ["edge-cases", "decompose"], pool: ["units", "show-work", "verify", "assumptions"],
    make(r) {
      const l = int(r, 4, 15), w = int(r, 3, 10), d = int(r, 1, 2);
      const ans = (l + 2 * d) * (w + 2 * d) - l * w;
      return { input: `A rectangular garden is ${l} m by ${w} m. A path ${d} m wide runs all around the outside of it. What is the area of the path in square metres?`,
        answer: String(ans), wrong: String(2 * d * (l + w)), steps: `(${l + 2 * d} x ${w + 2 * d}) - (${l} x ${w}) = ${ans} m2.`,
        check: { type: "numeric", expected: ans } };
    } },
  { name: "posts", kind: "numeric", core: ["edge-cases"], pool: ["restate", "sanity", "givens", "verify"],
    make(r) {
      const s = int(r, 2, 5), n = int(r, 4, 15);
      return { input: `A straight fence is ${s * n} metres long, with a post every ${s} metres including one at each end. How many posts are needed?`,
        answer: String(n + 1), wrong: String(n), steps: `${s * n} / ${s} = ${n} gaps, so ${n} + 1 = ${n + 1} posts.`,
        check: { type: "numeric", expected: n + 1 } };
    } },
  { name: "ages", kind: "numeric", core: ["restate", "decompose"], pool: ["givens", "verify", "assumptions", "show-work"],
    make(r) {
      const who = pick(r, NAMES), a = int(r, 9, 40), b = int(r, 2, 7), y = int(r, 2, 15);
      const ans = 2 * a - b + 2 * y;
      return { input: `${who} is ${a} years old, and ${who}'s brother is ${b} years younger. In ${y} years, what will the sum of their ages be?`,
        answer: String(ans), wrong: String(ans - y), steps: `Now ${a} + ${a - b} = ${2 * a - b}; each gains ${y}, so ${ans}.`,
        check: { type: "numeric", expected: ans } };
    } },
  { name: "pumps", kind: "numeric", core: ["decompose", "verify"], pool: ["simplify", "units", "assumptions", "sanity"],
    make(r) {
      const a = int(r, 2, 7), b = a + int(r, 1, 6);
      return { input: `One pump fills a tank in ${a} hours and a second pump fills it in ${b} hours. Working together, how many hours do they take? Give the answer as a fraction.`,
        answer: frac(a * b, a + b), wrong: frac(a + b, 2), steps: `Rates 1/${a} + 1/${b} = ${frac(a + b, a * b)} per hour, so ${frac(a * b, a + b)} hours.`,
        check: { type: "numeric", expected: frac(a * b, a + b), tolerance: 0.001 } };
    } },
  { name: "average", kind: "numeric", core: ["givens", "verify"], pool: ["decompose", "sanity", "edge-cases", "show-work"],
    make(r) {
      const s = [int(r, 60, 95), int(r, 60, 95), int(r, 60, 95), int(r, 60, 95)];
      const sum = s.reduce((x, y) => x + y, 0);
      const m = Math.ceil((sum + 50) / 5) + int(r, 0, 6);
      const ans = 5 * m - sum;
      return { input: `A student scored ${s.join(", ")} on four tests. What score is needed on the fifth test to make the average of all five exactly ${m}?`,
        answer: String(ans), wrong: String(ans + pick(r, [-5, 5])), steps: `5 x ${m} = ${5 * m}; ${5 * m} - ${sum} = ${ans}.`,
        check: { type: "numeric", expected: ans } };
    } },
  { name: "flour", kind: "numeric", core: ["units", "sanity"], pool: ["verify", "givens", "precision"],
    make(r) {
      const g = 50 * int(r, 3, 9), n = int(r, 2, 12);
      const ans = (g * n) / 1000;
      return { input: `A recipe needs ${g} grams of flour per batch. How many kilograms of flour are needed for ${n} batches?`,
        answer: String(ans), wrong: String((g * n) / 100), steps: `${g} g x ${n} = ${g * n} g = ${ans} kg.`,
        check: { type: "numeric", expected: ans, tolerance: 0.001 } };
    } },
  { name: "interest", kind: "numeric", core: ["precision", "decompose"], pool: ["verify", "assumptions", "show-work", "units"],
    make(r) {
      const p = 500 * int(r, 2, 10), rate = int(r, 2, 6), y = int(r, 2, 4);
      const ans = money(p * (1 + rate / 100) ** y);
      return { input: `$${p} is deposited at ${rate}% interest compounded once a year. What is the balance after ${y} years, in dollars, rounded to the nearest cent?`,
        answer: ans.toFixed(2), wrong: money(p * (1 + (rate * y) / 100)).toFixed(2), steps: `${p} x ${1 + rate / 100}^${y} = ${ans.toFixed(2)}.`,
        check: { type: "numeric", expected: ans, tolerance: 0.01 } };
    } },
  { name: "weekday", kind: "exact", core: ["edge-cases", "format"], pool: ["brevity", "verify", "restate"],
    make(r) {
      const d0 = int(r, 0, 6), n = int(r, 3, 40);
      const n2 = n % 7 === 1 ? n + 1 : n;
      return { input: `Today is ${DAYS[d0]}. What day of the week will it be in ${n2} days? Answer with the day name only.`,
        answer: DAYS[(d0 + n2) % 7]!, wrong: DAYS[(d0 + n2 - 1) % 7]!, steps: `${n2} mod 7 = ${n2 % 7}; ${DAYS[d0]} + ${n2 % 7} days.`,
        check: { type: "exact", expected: DAYS[(d0 + n2) % 7]! } };
    } },
  { name: "reverse", kind: "exact", core: ["verify", "format"], pool: ["brevity", "edge-cases"],
    make(r) {
      const w = pick(r, WORDS), rev = [...w].reverse().join("");
      // swap the first adjacent pair of different letters: a plausible slip that never equals the answer
      const i = [...rev].findIndex((ch, j) => j > 0 && ch !== rev[j - 1]);
      const wrong = rev.slice(0, i - 1) + rev[i] + rev[i - 1] + rev.slice(i + 1);
      return { input: `Write the word "${w}" backwards. Answer with the letters only, in lowercase.`,
        answer: rev, wrong, steps: `Reading "${w}" from the last letter to the first.`, check: { type: "exact", expected: rev } };
    } },
  { name: "fraction", kind: "exact", core: ["simplify", "verify"], pool: ["show-work", "format", "precision"],
    make(r) {
      const b = int(r, 2, 9), d = int(r, 2, 9), a = int(r, 1, b - 1), c = int(r, 1, d - 1);
      const ans = frac(a * d + c * b, b * d), wrong = `${a + c}/${b + d}`;
      return { input: `What is ${a}/${b} + ${c}/${d}? Give the answer as a fraction in lowest terms, like 3/4.`,
        answer: ans, wrong: wrong === ans ? `${a * d + c * b + 1}/${b * d}` : wrong, steps: `${a * d}/${b * d} + ${c * b}/${b * d} = ${ans}.`,
        check: { type: "exact", expected: ans } };
    } },
  { name: "date", kind: "regex", core: ["edge-cases", "format"], pool: ["restate", "verify", "brevity"],
    make(r) {
      const start = new Date(Date.UTC(2024, int(r, 0, 10), int(r, 1, 28))), n = int(r, 5, 60);
      const end = new Date(start.getTime() + (n - 1) * 86400000), off = new Date(start.getTime() + n * 86400000);
      return { input: `A project starts on ${MONTHS[start.getUTCMonth()]} ${start.getUTCDate()}, 2024 and lasts ${n} days, counting the start day as day 1. On what date is its last day? Write the date as YYYY-MM-DD.`,
        answer: isoDate(end), wrong: isoDate(off), steps: `Day 1 is ${isoDate(start)}; adding ${n - 1} days.`,
        check: { type: "regex", pattern: exactPattern(isoDate(end)) } };
    } },
  { name: "meeting", kind: "regex", core: ["format", "verify"], pool: ["edge-cases", "units", "brevity"],
    make(r) {
      const t0 = 60 * int(r, 8, 17) + 5 * int(r, 0, 11), d = 5 * int(r, 5, 38);
      return { input: `A meeting starts at ${hhmm(t0)} and lasts ${d} minutes. At what time does it end? Use 24-hour HH:MM.`,
        answer: hhmm(t0 + d), wrong: hhmm(t0 + d + 60), steps: `${hhmm(t0)} plus ${Math.floor(d / 60)} h ${d % 60} min.`,
        check: { type: "regex", pattern: exactPattern(hhmm(t0 + d)) } };
    } },
  { name: "letters", kind: "json", core: ["json", "verify"], pool: ["format", "edge-cases", "brevity"],
    make(r) {
      const w = pick(r, WORDS), v = [...w].filter((c) => "aeiou".includes(c)).length, c = w.length - v;
      return { input: `Count the vowels (a, e, i, o, u) and the consonants in the word "${w}". Reply with a JSON object with integer fields "vowels" and "consonants".`,
        answer: JSON.stringify({ vowels: v, consonants: c }), wrong: JSON.stringify({ vowels: v + 1, consonants: c - 1 }),
        steps: `"${w}" has ${w.length} letters, ${v} of them vowels.`, check: { type: "json", expected: { vowels: v, consonants: c } } };
    } },
  { name: "bill", kind: "json", core: ["json", "precision"], pool: ["verify", "format", "decompose", "units"],
    make(r) {
      const n = int(r, 3, 6), t = int(r, 40, 240), tip = pick(r, [10, 15, 20]);
      const each = money((t * (1 + tip / 100)) / n);
      return { input: `${n} friends split a restaurant bill of $${t} equally after adding a ${tip}% tip. Reply with a JSON object with fields "people" and "each" (dollars per person, rounded to the nearest cent).`,
        answer: JSON.stringify({ people: n, each }), wrong: JSON.stringify({ people: n, each: money(t / n) }),
        steps: `$${t} x ${1 + tip / 100} / ${n} = $${each}.`, check: { type: "json", expected: { people: n, each } } };
    } },
  { name: "delay-note", kind: "rubric", core: ["coverage", "facts-only"], pool: ["restate", "format", "brevity", "assumptions"],
    make(r) {
      const cause = pick(r, CAUSES), date = `${pick(r, MONTHS)} ${int(r, 2, 28)}`, who = pick(r, NAMES);
      const els = [cause, date, who];
      return { input: `Write a two-sentence note to the team saying the release is delayed. It must give the cause (the ${cause}), the new release date (${date}) and who to ask for details (${who}).`,
        answer: `The release moves to ${date} because of the ${cause}. Ask ${who} for details.`,
        wrong: `The release is delayed because of the ${cause}. Ask ${who} for details.`,
        steps: "I drafted a short note and checked it against the request.", check: { type: "rubric", rubric: rubricOf(els) }, elements: els };
    } },
  { name: "minutes", kind: "rubric", core: ["coverage", "brevity"], pool: ["restate", "facts-only", "format"],
    make(r) {
      const dec = pick(r, DECISIONS), who = pick(r, NAMES), day = pick(r, DAYS.slice(0, 5));
      const els = [dec, who, day];
      return { input: `Summarise a meeting in one sentence. The team decided to ${dec}; ${who} owns it; it is due by ${day}. Name the decision, the owner and the deadline.`,
        answer: `We decided to ${dec}; ${who} owns it, due ${day}.`, wrong: `We decided to ${dec}, due ${day}.`,
        steps: "I wrote one sentence with the decision, owner and deadline.", check: { type: "rubric", rubric: rubricOf(els) }, elements: els };
    } },
  { name: "bug-report", kind: "rubric", core: ["coverage", "format"], pool: ["facts-only", "assumptions", "restate"],
    make(r) {
      const comp = pick(r, COMPONENTS), br = pick(r, BROWSERS), code = `E${int(r, 1000, 9999)}`, sev = pick(r, ["high", "critical", "medium"]);
      const els = [br, code, `severity ${sev}`];
      return { input: `Write a three-line bug report for a crash in the ${comp}. Include the browser (${br}), the error code (${code}) and the severity (${sev}), written as "severity ${sev}".`,
        answer: `Crash in the ${comp} on ${br}; error ${code}; severity ${sev}.`, wrong: `Crash in the ${comp} on ${br}; severity ${sev}.`,
        steps: "I listed the facts the report needs.", check: { type: "rubric", rubric: rubricOf(els) }, elements: els };
    } },
];

/** Template mix by check kind: mostly numeric, ~15% rubric. */
export const KIND_WEIGHTS: Record<SimCheck["type"], number> = { numeric: 0.6, exact: 0.1, regex: 0.09, json: 0.09, rubric: 0.12 };
