/** Keeps a provider's answer or error message readable in logs and dead letters: trimmed, at most `max` characters. */
export function clip(text: string, max = 1000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
