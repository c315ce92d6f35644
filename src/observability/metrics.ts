import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';
import { registerRuntimeMetrics } from './runtime-metrics.ts';

/**
 * Counters, gauges and histograms in one prom-client registry, rendered in the Prometheus text
 * format by the admin endpoint.
 *
 * Counters and gauges keep their values here, keyed by a label object that hot callers pass
 * the same every time (one Map lookup per increment, no hashing), and hand them to prom-client
 * when it collects, at scrape time. Histograms go to prom-client directly: they are observed per
 * request or commit, not per event.
 */
export type Labels = Record<string, string>;

interface Series {
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

/** Seconds-scale buckets for request and commit latency (1 ms .. 30 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Entries per request (1 .. 10000). */
export const SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

export class Metrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, Series>();
  private readonly histograms = new Map<string, InstanceType<typeof Histogram>>();
  private readonly collectors: (() => void)[] = [];

  private get(name: string, help: string, type: Series['type'], labels: Labels): Series {
    let s = this.series.get(name);
    if (!s) {
      const values: Series['values'] = new Map();
      s = { type, values };
      this.series.set(name, s);
      this.register(name, help, type, Object.keys(labels), values);
    }
    return s;
  }

  /** The prom-client metric that reads this series' values at each scrape. */
  private register(name: string, help: string, type: Series['type'], labelNames: string[], values: Series['values']): void {
    if (type === 'counter') {
      new Counter({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect(this: InstanceType<typeof Counter>) {
          this.reset();
          for (const v of values.values()) this.inc(v.labels, v.value);
        },
      });
    } else {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect(this: InstanceType<typeof Gauge>) {
          for (const v of values.values()) this.set(v.labels, v.value);
        },
      });
    }
  }

  inc(name: string, help: string, labels: Labels = NO_LABELS, by = 1): void {
    const s = this.get(name, help, 'counter', labels);
    const key = labelKey(labels);
    const v = s.values.get(key);
    if (v) v.value += by;
    else s.values.set(key, { labels, value: by });
  }

  /** Sets a counter kept elsewhere (rule matches) to its total; it only ever grows. */
  setTotal(name: string, help: string, labels: Labels, total: number): void {
    const s = this.get(name, help, 'counter', labels);
    s.values.set(labelKey(labels), { labels, value: total });
  }

  /** Makes a counter series exist at 0 (so that it is exported before its first event). */
  declare(name: string, help: string, labels: Labels = NO_LABELS): void {
    this.inc(name, help, labels, 0);
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    const s = this.get(name, help, 'gauge', labels);
    s.values.set(labelKey(labels), { labels, value });
  }

  /** Drops one label set of a gauge (a sink or source that was removed by a reload). */
  forget(name: string, labels: Labels): void {
    const s = this.series.get(name);
    if (s?.type !== 'gauge') return;
    s.values.delete(labelKey(labels));
    this.registry.getSingleMetric(name)?.remove(labels);
  }

  /** Records one observation in a histogram (created with `buckets` at first use). */
  observe(name: string, help: string, labels: Labels, value: number, buckets: readonly number[] = LATENCY_BUCKETS): void {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram({ name, help, labelNames: Object.keys(labels), buckets: [...buckets], registers: [this.registry] });
      this.histograms.set(name, h);
    }
    h.observe(labels, value);
  }

  /** Makes a histogram exist (with no observations) before its first one. */
  declareHistogram(name: string, help: string, labels: Labels, buckets: readonly number[] = LATENCY_BUCKETS): void {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram({ name, help, labelNames: Object.keys(labels), buckets: [...buckets], registers: [this.registry] });
      this.histograms.set(name, h);
    }
    h.zero(labels);
  }

  /** Process and Node.js runtime metrics (CPU, memory, event loop lag, GC) under their usual names. */
  withRuntimeMetrics(): this {
    registerRuntimeMetrics(this.registry);
    return this;
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

  get contentType(): string {
    return this.registry.contentType;
  }

  /** `fn` runs before each render, to bring values computed elsewhere up to date. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): Promise<string> {
    for (const fn of this.collectors) fn();
    return this.registry.metrics();
  }
}
