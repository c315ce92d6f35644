/**
 * log2events in-process: an application that already logs through the OpenTelemetry SDK gets
 * events from its records without running a sidecar.
 *
 *   node examples/sdk-exporter.ts            (from the repository root)
 *
 * The events land in $LOG2EVENTS_EXAMPLE_DIR/events.jsonl (the `file` sink of
 * examples/sdk-exporter.yaml); swap it for aws_eventbridge, alibaba_cms, huawei_ces or huawei_aom.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { Log2EventsLogExporter } from '../src/sdk/exporter.ts';

const dir = (process.env.LOG2EVENTS_EXAMPLE_DIR ??= mkdtempSync(join(tmpdir(), 'log2events-sdk-example-')));
const exporter = await Log2EventsLogExporter.fromConfigFile(join(dirname(import.meta.filename), 'sdk-exporter.yaml'));

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  processors: [new BatchLogRecordProcessor({ exporter })],
});
const logger = provider.getLogger('example');

logger.emit({ severityNumber: SeverityNumber.INFO, body: 'order 1001 placed' });
logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'payment failed for order 1002' });

// Shutting the provider down exports what is buffered and stops log2events, which first
// delivers everything in its spool.
await provider.shutdown();

const events = join(dir, 'events.jsonl');
process.stdout.write(`events in ${events}:\n${readFileSync(events, 'utf8')}`);
