import type { PrometheusExport } from './prometheus-export.ts';

/**
 * Counters, gauges and histograms, rendered in the Prometheus text format by the admin endpoint.
 *
 * Values are kept here, keyed by a label object that hot callers pass the same every time (one
 * Map lookup per increment, no hashing). prom-client renders them, and loads only when they are
 * first rendered or runtime metrics are asked for (prometheus-export.ts): an agent nobody scrapes
 * does not hold it (~1.5 MiB).
 */
export type Labels = Record<string, string>;

export interface Series {
  type: 'counter' | 'gauge';
  help: string;
  labelNames: string[];
  values: Map<string, { labels: Labels; value: number }>;
}

export interface HistogramSeries {
  type: 'histogram';
  name: string;
  help: string;
  labelNames: string[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  /** Per label set: observations per bucket (not cumulative; past the last bound only in count). */
  values: Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>;
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
  /** Every series by name, in the order first seen (the order they are exported in). */
  private readonly all = new Map<string, Series | HistogramSeries>();
  private readonly series = new Map<string, Series>();
  private readonly histograms = new Map<string, HistogramSeries>();
  private readonly collectors: (() => void)[] = [];
  private exporter: PrometheusExport | undefined;

  private get(name: string, help: string, type: Series['type'], labels: Labels): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { type, help, labelNames: Object.keys(labels), values: new Map() };
      this.series.set(name, s);
      this.all.set(name, s);
    }
    return s;
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
    this.exporter?.forget(name, labels);
  }

  private histogram(name: string, help: string, labels: Labels, buckets: readonly number[]) {
    let h = this.histograms.get(name);
    if (!h) {
      h = { type: 'histogram', name, help, labelNames: Object.keys(labels), buckets: [...buckets], values: new Map() };
      this.histograms.set(name, h);
      this.all.set(name, h);
    }
    const key = labelKey(labels);
    let v = h.values.get(key);
    if (!v) {
      v = { labels, counts: h.buckets.map(() => 0), sum: 0, count: 0 };
      h.values.set(key, v);
    }
    return { h, v };
  }

  /** Records one observation in a histogram (created with `buckets` at first use). */
  observe(name: string, help: string, labels: Labels, value: number, buckets: readonly number[] = LATENCY_BUCKETS): void {
    const { h, v } = this.histogram(name, help, labels, buckets);
    // The first bucket whose upper bound holds the value, as prom-client counts (le: <=).
    const i = h.buckets.findIndex((le) => value <= le);
    if (i >= 0) v.counts[i] = (v.counts[i] ?? 0) + 1;
    v.sum += value;
    v.count += 1;
  }

  /** Makes a histogram exist (with no observations) before its first one. */
  declareHistogram(name: string, help: string, labels: Labels, buckets: readonly number[] = LATENCY_BUCKETS): void {
    this.histogram(name, help, labels, buckets);
  }

  /** Process and Node.js runtime metrics (CPU, memory, event loop lag, GC) under their usual names. */
  async withRuntimeMetrics(): Promise<this> {
    (await this.export()).withRuntimeMetrics();
    return this;
  }

  private async export(): Promise<PrometheusExport> {
    this.exporter ??= new (await import('./prometheus-export.ts')).PrometheusExport();
    return this.exporter;
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

  /** prom-client's Registry.PROMETHEUS_CONTENT_TYPE, the format render() writes. */
  get contentType(): string {
    return 'text/plain; version=0.0.4; charset=utf-8';
  }

  /** `fn` runs before each render, to bring values computed elsewhere up to date. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const fn of this.collectors) fn();
    const exporter = await this.export();
    exporter.sync(this.all);
    return exporter.registry.metrics();
  }
}
