import type { Config } from './load-config.ts';
import { LATENCY_BUCKETS, SIZE_BUCKETS, type Metrics } from '../observability/metrics.ts';
import { VERSION } from '../version.ts';
import { K8S_METRICS } from '../kubernetes/metrics.ts';

/**
 * Makes every counter of the configured sources, rules and sinks exist at 0 from the start
 * (a rate() over a series that appears at its first event misses that event), with the
 * histograms and the build info.
 */
export function declareMetrics(m: Metrics, config: Config): void {
  m.set(
    'log2events_build_info',
    'Version of log2events and of Node.js, as labels; always 1',
    { version: VERSION, node: process.versions.node },
    1,
  );
  for (const [source, sc] of config.sources) {
    const l = { source };
    m.declare('log2events_source_records_total', 'Records a source handed to the rules', l);
    m.declare('log2events_source_events_total', "Events the rules made of a source's records", l);
    if (sc.type === 'file') {
      m.declare('log2events_file_bytes_read_total', 'Bytes read from tailed files', l);
      m.declare('log2events_file_records_total', 'Records read from files and handed to the rules', l);
      m.declare('log2events_file_lines_truncated_total', 'Lines cut at max_line_bytes', l);
      m.declare('log2events_file_truncations_total', 'Files found truncated or rewritten in place', l);
    } else if (sc.type === 'stdin') {
      m.declare('log2events_lines_truncated_total', 'Lines cut at max_line_bytes', l);
    } else if (sc.type === 'otlp') {
      for (const transport of ['http', 'grpc'] as const) {
        if (!sc.options[transport]) continue;
        const t = { source, transport };
        m.declare('log2events_otlp_records_accepted_total', 'OTLP log records decoded and handed to the rules.', t);
        m.declare(
          'log2events_otlp_records_rejected_total',
          'OTLP log records rejected as unusable (reported to the client as partial_success).',
          t,
        );
      }
    }
  }
  for (const rule of config.rules) {
    const l = { rule: rule.name };
    m.declare('log2events_rule_matches_total', 'Records matched per rule', l);
    m.declare('log2events_rule_throttled_total', 'Matches suppressed by throttle per rule', l);
    m.declare('log2events_rule_regex_slow_total', 'Regex matches on a long line that took over 50 ms, per rule', l);
  }
  for (const sink of config.sinks.keys()) {
    const l = { sink };
    m.declare('log2events_sink_events_total', 'Events routed to a sink', l);
    m.declare('log2events_requests_total', 'Requests sent to a sink', l);
    m.declare('log2events_delivered_total', 'Events a sink accepted', l);
    m.declare('log2events_retries_total', 'Entries scheduled for another attempt', l);
    m.declare('log2events_dead_letters_total', 'Events moved to dead letters', l);
    m.declare('log2events_throttled_total', 'Requests a sink answered with throttling', l);
    m.declareHistogram(
      'log2events_sink_request_duration_seconds',
      'Time from sending a request to its answer, per sink',
      l,
      LATENCY_BUCKETS,
    );
    m.declareHistogram('log2events_sink_batch_entries', 'Entries per request, per sink', l, SIZE_BUCKETS);
  }
  if (config.kubernetes) {
    for (const [name, help] of [K8S_METRICS.apiErrors, K8S_METRICS.watchRestarts, K8S_METRICS.withoutMetadata]) m.declare(name, help);
  }
  m.declare('log2events_spool_full_total', 'Commits refused because the spool was full');
  m.declare('log2events_spool_dropped_total', 'Events dropped from a full spool (drop_oldest)');
  m.declare('log2events_spool_commit_errors_total', 'Spool commits that failed in the state store');
  m.declare('log2events_spool_spilled_total', 'Held events written to the spool (a retry, a rotation, age, or shutdown)');
  m.declareHistogram(
    'log2events_spool_commit_duration_seconds',
    'Time to write a commit to the spool (one transaction)',
    {},
    LATENCY_BUCKETS,
  );
}
