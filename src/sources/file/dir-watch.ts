import { watch as fsWatch, type FSWatcher } from 'node:fs';

export type DirEvent = 'rename' | 'change';

/**
 * One directory's `fs.watch`, which can be muted. A followed file raises an event per write,
 * and each costs ~60 µs of CPU on the main thread (a wake-up, a read of the inotify descriptor,
 * a call into JavaScript): at a write every 10 ms that was half a point of a core. Once a write
 * has asked for a pass over the directory's files, the next writes would only ask again, so the
 * watch is closed until that pass, which resumes it before it looks: whatever was written in
 * between is found by the pass, whatever is written after raises an event again.
 */
export class DirWatch {
  readonly dir: string;
  private watcher: FSWatcher | undefined;
  private muted = false;
  private readonly onEvent: (event: DirEvent, name: string) => void;
  private readonly onError: (err: unknown) => void;

  constructor(dir: string, onEvent: (event: DirEvent, name: string) => void, onError: (err: unknown) => void) {
    this.dir = dir;
    this.onEvent = onEvent;
    this.onError = onError;
  }

  /** Starts watching; throws where the watch cannot be set up (ENOENT, ENOSPC, …). */
  open(): void {
    const w = fsWatch(this.dir, { persistent: false }, (event, name) => {
      if ((event === 'rename' || event === 'change') && name) this.onEvent(event, name);
    });
    w.on('error', (err) => this.onError(err));
    this.watcher = w;
  }

  /** Stops the events until resume(). */
  mute(): void {
    if (!this.watcher) return;
    this.watcher.close();
    this.watcher = undefined;
    this.muted = true;
  }

  /**
   * Watches again after mute(). True if it was muted: its files are to be looked at now (a watch
   * that cannot be set up again is reported through `onError`, and the poll covers the directory).
   */
  resume(): boolean {
    if (!this.muted) return false;
    this.muted = false;
    try {
      this.open();
    } catch (err) {
      this.onError(err);
    }
    return true;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.muted = false;
  }
}
