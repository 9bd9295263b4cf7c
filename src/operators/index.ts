export { propose, OPERATORS, type OperatorName, type ProposalParent, type ProposeOptions, type ProposeResult } from "./propose.js";
export { parseHarnessReply, parseCritiqueReply, MAX_HARNESS_CHARS, MAX_CRITIQUE_CHARS, type ParsedHarness, type ParsedCritique } from "./parse.js";
export {
  buildPrompt,
  mutatePrompt,
  crossoverPrompt,
  rewritePrompt,
  refineCriticPrompt,
  refineAuthorPrompt,
  TEMPLATES,
  type ParentView,
  type PromptInput,
} from "./templates.js";
