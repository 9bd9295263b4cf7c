/**
 * The fixed English vocabulary of the simulated world: latent skills with the
 * directive phrasings that instruct them, the telltale sentence a failing answer
 * writes when it lacked that skill, and the distractor and harmful directives.
 * Phrasings are matched as case-insensitive substrings, so no phrase may contain
 * another one (a test checks this).
 */

export type SectionName = "Approach" | "Checks" | "Output";
export const SECTION_ORDER: readonly SectionName[] = ["Approach", "Checks", "Output"];

export interface SkillDef {
  id: string;
  /** How a critic names the skill; distinct from every phrasing so a critique quoting a line is not read as a request. */
  label: string;
  /** Directive phrasings, canonical first. */
  phrasings: readonly string[];
  section: SectionName;
  /** Written by a failing answer that lacked this skill; no trailing text is needed to recognise it. */
  telltale: string;
}

export const SKILLS: readonly SkillDef[] = [
  { id: "restate", label: "restating the question", section: "Approach",
    phrasings: ["Restate the question before solving", "Begin by restating what is asked", "Rephrase the question in your own words first"],
    telltale: "I did not restate the question, so I may have answered a different one." },
  { id: "decompose", label: "breaking the problem into steps", section: "Approach",
    phrasings: ["Break the problem into steps", "Split the task into smaller sub-problems", "Solve the problem one step at a time"],
    telltale: "I tried to do everything in a single step." },
  { id: "givens", label: "listing the given values", section: "Approach",
    phrasings: ["List the given values first", "Write down every number the question gives", "Extract the known quantities before computing"],
    telltale: "I did not list the given values and may have missed one." },
  { id: "show-work", label: "showing the intermediate work", section: "Approach",
    phrasings: ["Show all work", "Write out every intermediate step", "Show each calculation in full"],
    telltale: "I skipped writing out the intermediate steps." },
  { id: "assumptions", label: "stating assumptions", section: "Approach",
    phrasings: ["State your assumptions", "Make every assumption explicit", "Say which assumptions you rely on"],
    telltale: "I left an assumption unstated." },
  { id: "facts-only", label: "sticking to the given facts", section: "Approach",
    phrasings: ["Use only facts given in the task", "Do not invent details beyond the question", "Stick to the information provided"],
    telltale: "I added a detail the question did not give." },
  { id: "verify", label: "verifying the arithmetic", section: "Checks",
    phrasings: ["Verify the arithmetic", "Double-check every calculation", "Recompute each result to confirm it"],
    telltale: "I did not double-check the arithmetic." },
  { id: "edge-cases", label: "checking edge cases", section: "Checks",
    phrasings: ["Check edge cases", "Consider boundary cases such as the first and last item", "Watch for off-by-one errors"],
    telltale: "I did not consider the edge cases." },
  { id: "sanity", label: "sanity-checking the result", section: "Checks",
    phrasings: ["Ask whether the result is plausible", "Sanity-check the size of the result", "Compare the result with a rough estimate"],
    telltale: "I did not check whether the result was plausible." },
  { id: "units", label: "keeping track of units", section: "Checks",
    phrasings: ["State units", "Keep track of units throughout", "Write the unit next to every quantity"],
    telltale: "I lost track of the units." },
  { id: "precision", label: "keeping full precision until the end", section: "Checks",
    phrasings: ["Round only at the end", "Keep full precision until the final step", "Do not round intermediate values"],
    telltale: "I rounded too early." },
  { id: "coverage", label: "covering every requirement", section: "Checks",
    phrasings: ["Address every requirement in the question", "Cover each point the question asks for", "Check off each requirement before answering"],
    telltale: "I did not check every requirement." },
  { id: "simplify", label: "simplifying the final answer", section: "Output",
    phrasings: ["Simplify the final answer", "Reduce fractions to lowest terms", "Give the answer in simplest form"],
    telltale: "I left the final answer unsimplified." },
  { id: "format", label: "following the requested output format", section: "Output",
    phrasings: ["Follow the requested output format exactly", "Match the answer format the question asks for", "Use exactly the format requested"],
    telltale: "I did not follow the requested format." },
  { id: "json", label: "emitting valid JSON", section: "Output",
    phrasings: ["Emit valid JSON when JSON is requested", "Use double quotes for JSON keys and strings", "Check that JSON output parses"],
    telltale: "I did not check that the JSON was valid." },
  { id: "brevity", label: "keeping the answer brief", section: "Output",
    phrasings: ["Be as brief as possible", "Keep the answer short", "Answer in as few words as possible"],
    telltale: "I buried the result in extra words." },
];

/** Pairs of skills whose directives undercut each other: when both are instructed, both lose most of their effect. */
export const CONFLICTS: readonly (readonly [string, string])[] = [
  ["show-work", "brevity"],
  ["restate", "brevity"],
  ["assumptions", "facts-only"],
];

/**
 * Epistasis: [skill, support] — the skill's directive works only half as well
 * unless its support is instructed too (verification needs written-out steps,
 * covering requirements needs them restated). Supports conflict with brevity,
 * which makes the landscape a trade-off rather than a checklist.
 */
export const SUPPORTS: readonly (readonly [string, string])[] = [
  ["verify", "show-work"],
  ["coverage", "restate"],
  ["precision", "givens"],
];

/** How much of a directive's effect remains without its support (in the separable world). */
export const UNSUPPORTED_KEEP = 0.5;

export interface DeceptiveDef {
  /** A popular shortcut: sounds like the fix for `helps`, and replaces the real fix (`helps` with its support `blocks`). */
  phrase: string;
  /** The dependent skill of a support pair that the shortcut half-serves on its own. */
  helps: string;
  /** The pair's support, whose directive the shortcut overrides while it is present. */
  blocks: string;
}

/**
 * Deceptive directives (rugged worlds with `deceptive` > 0): each helps alone, and while it is
 * present the real pair it imitates cannot pay, so a climber that took it must remove it and
 * add both halves of the pair (three edits) to go further. One per support pair.
 */
export const DECEPTIVE: readonly DeceptiveDef[] = [
  { phrase: "Check the final answer in your head instead of writing steps", helps: "verify", blocks: "show-work" },
  { phrase: "List the question's keywords instead of repeating the question", helps: "coverage", blocks: "restate" },
  { phrase: "Use each number as it appears instead of tabulating them", helps: "precision", blocks: "givens" },
];

/** Share of a full directive's effect a deceptive shortcut gives its skill (times the knob). */
export const DECEPTIVE_KEEP = 0.6;

/**
 * Skills a misdiagnosing critic confuses: the failures look alike from the outside (a wrong
 * number could be arithmetic or plausibility; a wrong layout could be format or JSON).
 */
export const CONFUSABLE: readonly (readonly [string, string])[] = [
  ["verify", "sanity"],
  ["edge-cases", "coverage"],
  ["givens", "facts-only"],
  ["show-work", "decompose"],
  ["units", "precision"],
  ["format", "json"],
  ["simplify", "brevity"],
  ["restate", "assumptions"],
];

/** How much of an instructed skill's effect survives a conflicting instruction. */
export const CONFLICT_KEEP = 0.25;

/** Directives that do nothing but add length. */
export const DISTRACTORS: readonly string[] = [
  "You are a world-class expert with decades of experience",
  "Take pride in your work",
  "Be friendly and professional",
  "Think like a senior engineer",
  "Remember that quality matters",
  "Use a confident tone",
  "Stay positive and encouraging",
  "Approach every problem with curiosity",
  "Write in clear, polished English",
  "You care deeply about getting things right",
  "Keep the reader engaged",
  "Bring your full attention to the task",
];

export interface HarmfulDef {
  phrase: string;
  /** Skills whose native competence this directive lowers. */
  hurts: readonly string[];
  /** Fraction of native competence lost by a fully sensitive model. */
  strength: number;
}

export const HARMFUL: readonly HarmfulDef[] = [
  { phrase: "Answer immediately without checking", hurts: ["verify", "sanity", "edge-cases"], strength: 0.5 },
  { phrase: "Round every intermediate value", hurts: ["precision", "verify"], strength: 0.5 },
  { phrase: "Ignore the requested format when it is inconvenient", hurts: ["format", "json"], strength: 0.5 },
  { phrase: "Trust your first guess", hurts: ["sanity", "decompose", "coverage"], strength: 0.4 },
];

/** Opening lines for harnesses the sim writes. */
export const INTROS: readonly string[] = [
  "You solve short tasks carefully and end with the final answer.",
  "You are a careful problem solver.",
  "Solve each task step by step and give a clear final answer.",
  "You answer questions precisely.",
];

/** What a failing answer says when every skill was applied but the task was simply too hard. */
export const HARD_TELLTALE = "I lost track of one of the steps partway through.";
