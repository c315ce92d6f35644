/**
 * OTel severity numbers and names (logs data model, "SeverityNumber"), and the mapping to the
 * four-level event severity every provider understands.
 */
export const SEVERITY_RANGES = [
  ['TRACE', 1],
  ['DEBUG', 5],
  ['INFO', 9],
  ['WARN', 13],
  ['ERROR', 17],
  ['FATAL', 21],
] as const;

const NAME_TO_NUMBER: Record<string, number> = (() => {
  const table: Record<string, number> = {};
  for (const [name, base] of SEVERITY_RANGES) {
    table[name] = base;
    for (let i = 2; i <= 4; i++) table[`${name}${i}`] = base + i - 1;
  }
  // Common spellings seen in real logs.
  Object.assign(table, {
    WARNING: 13,
    ERR: 17,
    CRITICAL: 21,
    CRIT: 21,
    EMERG: 21,
    EMERGENCY: 21,
    ALERT: 21,
    PANIC: 21,
    NOTICE: 10,
    INFORMATION: 9,
    VERBOSE: 1,
    FINE: 5,
    SEVERE: 17,
  });
  return table;
})();

/** Severity number for a name (`ERROR`, `warn`, `INFO3`), or undefined when it is not one. */
export function severityNumberOf(text: string): number | undefined {
  return NAME_TO_NUMBER[text.trim().toUpperCase()];
}

/** The short OTel name of a severity number (17 → ERROR, 19 → ERROR3, 0 → UNSPECIFIED). */
export function severityNameOf(n: number): string {
  if (n <= 0 || n > 24) return 'UNSPECIFIED';
  const idx = Math.floor((n - 1) / 4);
  const entry = SEVERITY_RANGES[idx];
  if (!entry) return 'UNSPECIFIED';
  const step = n - entry[1];
  return step === 0 ? entry[0] : `${entry[0]}${step + 1}`;
}

export type EventSeverity = 'Critical' | 'Major' | 'Minor' | 'Info';
export const EVENT_SEVERITIES: readonly EventSeverity[] = ['Critical', 'Major', 'Minor', 'Info'];

/** Default event severity for a record that a rule did not give one. */
export function eventSeverityFor(severityNumber: number): EventSeverity {
  if (severityNumber >= 21) return 'Critical';
  if (severityNumber >= 17) return 'Major';
  if (severityNumber >= 13) return 'Minor';
  return 'Info';
}

/** Level words a plain text line may announce, in the spellings that count. */
const LEVEL_WORDS = [
  'TRACE',
  'DEBUG',
  'INFO',
  'INFORMATION',
  'NOTICE',
  'WARN',
  'WARNING',
  'ERROR',
  'ERR',
  'FATAL',
  'CRITICAL',
  'CRIT',
  'ALERT',
  'EMERG',
  'PANIC',
  'SEVERE',
  'trace',
  'debug',
  'info',
  'notice',
  'warn',
  'warning',
  'error',
  'fatal',
  'critical',
];
const LEVEL_WORD = new RegExp(`(?:^|[\\s[(<|"'=:,])(${LEVEL_WORDS.join('|')})(?=$|[\\s\\]):|>"',.])`);

/**
 * The severity a plain text line announces in its first 120 characters (`2024-01-01 ERROR ...`,
 * `[WARN]`, `level=error`), or undefined when it names none.
 */
export function detectSeverity(line: string): { readonly number: number; readonly text: string } | undefined {
  const m = LEVEL_WORD.exec(line.length > 120 ? line.slice(0, 120) : line);
  return m ? DETECTED[m[1] ?? ''] : undefined;
}

/** The answer for each level word LEVEL_WORD captures, made once rather than per line. */
const DETECTED: Record<string, { readonly number: number; readonly text: string } | undefined> = Object.create(null);
for (const word of LEVEL_WORDS) {
  const text = word.toUpperCase();
  const number = severityNumberOf(text);
  DETECTED[word] = number === undefined ? undefined : Object.freeze({ number, text });
}
