/** Counts of replies that were not answers (summary.json spend), in words: only those that happened. */
export function nonAnswerParts(counts: { truncated: number; empty: number; refused: number; promptCut: number }): string[] {
  const { truncated, empty, refused, promptCut } = counts;
  return [
    truncated ? `${truncated} cut at the output cap` : "",
    empty ? `${empty} empty` : "",
    refused ? `${refused} refusals or tool calls without text` : "",
    promptCut ? `${promptCut} whose prompt the server cut` : "",
  ].filter(Boolean);
}
