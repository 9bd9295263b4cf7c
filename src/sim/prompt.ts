/**
 * Reading the engine's tagged prompts defensively: instructions may mention a
 * tag in prose ("answer the question in <task> tags") before the real block.
 */

const opener = (tag: string): RegExp => new RegExp(`<${tag}(?:\\s[^>]*)?>`, "g");

export function hasTag(text: string, tag: string): boolean {
  return opener(tag).test(text);
}

/**
 * The body of the first closed block, opened by the last opening tag before its
 * closing tag (so a mention in earlier prose is skipped). An unclosed tag yields
 * everything after its last opening; no tag yields undefined.
 */
export function innerBlock(text: string, tag: string): string | undefined {
  const close = text.indexOf(`</${tag}>`);
  let start = -1;
  for (const m of text.matchAll(opener(tag))) {
    if (close !== -1 && m.index >= close) break;
    start = m.index + m[0].length;
  }
  if (start === -1) return undefined;
  return text.slice(start, close === -1 ? undefined : close).trim();
}
