// Library entry point: embed log2events in a Node application.
export { Log2EventsLogExporter, type Log2EventsExporterOptions, type FromConfigOptions } from './sdk/exporter.ts';
export { Agent, type AgentOptions } from './agent/agent.ts';
export { loadConfigFile, loadConfigText, type Config, type LoadResult } from './agent/load-config.ts';
export { startEmulator, type RunningEmulator } from './emulator/index.ts';
export type { Event } from './model/event.ts';
export type { LogRecord } from './model/log-record.ts';
