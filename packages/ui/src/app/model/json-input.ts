/** The result of reading JSON typed by a person. */
export type JsonInput = { ok: true; value: unknown } | { ok: false; error: string };

/** Parses JSON typed in a form; empty text is `{}`; a syntax error says where. */
export function parseJsonInput(text: string): JsonInput {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}
