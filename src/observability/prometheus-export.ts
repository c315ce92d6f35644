import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';
import type { Registry as PromRegistry } from 'prom-client';
import type { HistogramSeries, Series } from './metrics.ts';
import { registerRuntimeMetrics } from './runtime-metrics.ts';

/**
 * The prom-client side of Metrics, loaded when the metrics are first rendered or runtime metrics
 * are asked for: an agent that is never scraped does not load prom-client at all.
 *
 * Each series is registered once, in the order Metrics first saw it; prom-client reads the values
 * Metrics keeps at each scrape (collect), so nothing is copied between scrapes.
 */
export class PrometheusExport {
  readonly registry = new Registry();
  private readonly registered = new Set<string>();

  withRuntimeMetrics(): this {
    registerRuntimeMetrics(this.registry);
    return this;
  }

  /** Registers the series not registered yet. */
  sync(series: ReadonlyMap<string, Series | HistogramSeries>): void {
    for (const [name, s] of series) {
      if (this.registered.has(name)) continue;
      this.registered.add(name);
      if (s.type === 'histogram') new StoredHistogram(name, s, this.registry);
      else counterOrGauge(this.registry, name, s);
    }
  }

  /** Drops one label set of a registered gauge (its collect only ever sets values). */
  forget(name: string, labels: Record<string, string>): void {
    this.registry.getSingleMetric(name)?.remove(labels);
  }
}

function counterOrGauge(registry: PromRegistry, name: string, s: Series): void {
  const { values } = s;
  if (s.type === 'counter') {
    new Counter({
      name,
      help: s.help,
      labelNames: s.labelNames,
      registers: [registry],
      collect(this: InstanceType<typeof Counter>) {
        this.reset();
        for (const v of values.values()) this.inc(v.labels, v.value);
      },
    });
  } else {
    new Gauge({
      name,
      help: s.help,
      labelNames: s.labelNames,
      registers: [registry],
      collect(this: InstanceType<typeof Gauge>) {
        for (const v of values.values()) this.set(v.labels, v.value);
      },
    });
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
}

/** A histogram whose buckets Metrics counts, exported the way prom-client's own Histogram is. */
class StoredHistogram extends Histogram {
  private readonly series: HistogramSeries;

  constructor(name: string, series: HistogramSeries, registry: PromRegistry) {
    super({ name, help: series.help, labelNames: series.labelNames, buckets: [...series.buckets], registers: [registry] });
    this.series = series;
  }

  /** What prom-client's Registry renders (and its get() splays), in Histogram's shape. */
  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const s = this.series;
    const bucket = `${s.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const h of s.values.values()) {
      let acc = 0;
      s.buckets.forEach((le, i) => {
        acc += h.counts[i] ?? 0;
        values.push({ labels: { le }, sharedLabels: h.labels, value: acc, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: h.labels, value: h.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: h.labels, value: h.sum, metricName: `${s.name}_sum` });
      values.push({ labels: {}, sharedLabels: h.labels, value: h.count, metricName: `${s.name}_count` });
    }
    return Promise.resolve({ name: s.name, help: s.help, type: 'histogram', aggregator: 'sum', values });
  }
}
