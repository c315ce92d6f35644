// prom-client's entry point also loads its Summary, Pushgateway, cluster aggregator and default
// metrics (which load @opentelemetry/api): ~3 MiB of resident memory the agent does not use.
// These are the parts it does use, typed by the package's own declarations.
declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client';
  const R: typeof Registry;
  export default R;
}
declare module 'prom-client/lib/counter.js' {
  import type { Counter } from 'prom-client';
  const C: typeof Counter;
  export default C;
}
declare module 'prom-client/lib/gauge.js' {
  import type { Gauge } from 'prom-client';
  const G: typeof Gauge;
  export default G;
}
declare module 'prom-client/lib/histogram.js' {
  import type { Histogram } from 'prom-client';
  const H: typeof Histogram;
  export default H;
}
/** One of prom-client's default metrics: registers its collectors in `registry`. */
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  const register: (registry: Registry, config: Record<string, unknown>) => void;
  export default register;
}
