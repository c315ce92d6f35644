/**
 * Counters and gauges in one registry, rendered in the Prometheus text format by the admin
 * endpoint. Labels are fixed per series at creation, so the hot path is one Map lookup.
 */
export type Labels = Record<string, string>;

interface Series {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

const NO_LABELS: Labels = Object.freeze({});
/** Keys of label objects seen before: hot callers pass the same object every time. */
const keys = new WeakMap<Labels, string>();

function labelKey(labels: Labels): string {
  let key = keys.get(labels);
  if (key === undefined) {
    key = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(',');
    keys.set(labels, key);
  }
  return key;
}

export class Metrics {
  private readonly series = new Map<string, Series>();

  private get(name: string, help: string, type: Series['type']): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { name, help, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }

  inc(name: string, help: string, labels: Labels = NO_LABELS, by = 1): void {
    const s = this.get(name, help, 'counter');
    const key = labelKey(labels);
    const v = s.values.get(key);
    if (v) v.value += by;
    else s.values.set(key, { labels, value: by });
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    const s = this.get(name, help, 'gauge');
    s.values.set(labelKey(labels), { labels, value });
  }

  value(name: string, labels: Labels = NO_LABELS): number {
    return this.series.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** Sum of a series over all label sets. */
  total(name: string): number {
    let sum = 0;
    for (const v of this.series.get(name)?.values.values() ?? []) sum += v.value;
    return sum;
  }

  render(): string {
    const out: string[] = [];
    for (const s of this.series.values()) {
      out.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
      for (const { labels, value } of s.values.values()) {
        const l = Object.entries(labels)
          .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
          .join(',');
        out.push(`${s.name}${l ? `{${l}}` : ''} ${value}`);
      }
    }
    return out.join('\n') + '\n';
  }
}
