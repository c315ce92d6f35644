import type { StateStoreError } from '../store/state-store.ts';

/**
 * One line for a store that failed: the store's own message and, for a damaged one, the way
 * out (the commands name the config file the user gave).
 */
export function storeErrorLine(err: StateStoreError, configFile: string): string {
  if (err.kind !== 'damaged') return err.message;
  return `${err.message}; "log2events state check -c ${configFile}" tells more, "log2events state reset -c ${configFile}" moves the damaged files aside (nothing is deleted) so that the next start creates a new store`;
}
