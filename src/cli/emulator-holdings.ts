import type { RunningEmulator } from '../emulator/index.ts';

/**
 * What each emulated provider holds, one short line per event (its name and what it says), for
 * the summary of `run --emulator`.
 */
export function emulatorHoldings(emu: RunningEmulator): Record<string, string[]> {
  return {
    aws: emu.events('aws').map((e) => `${e.event.DetailType ?? '?'} from ${e.event.Source ?? '?'}`),
    alibaba: emu.events('alibaba').map((e) => `${e.event.EventName}: ${contentOf(e.event.Content)}`),
    ces: emu.events('ces').map((e) => `${e.event.event_name} from ${e.event.event_source}`),
    aom: emu.events('aom').map((e) => `${e.event.action} ${e.event.metadata.event_name ?? '?'}`),
  };
}

/** CloudMonitor's Content is the event as JSON: its `content` says it best. */
function contentOf(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && 'content' in parsed && typeof parsed.content === 'string') return parsed.content;
  } catch {
    // not JSON: shown as it is
  }
  return raw.length > 80 ? `${raw.slice(0, 79)}…` : raw;
}
