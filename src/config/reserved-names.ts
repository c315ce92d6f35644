/**
 * Names that every JavaScript object already answers to (`__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`, ...). Used as a source, sink or rule name they would be lost
 * (`__proto__`) or shadow the object's own machinery, so the loader refuses them.
 */
export function isReservedName(name: string): boolean {
  return name in Object.prototype;
}

export const RESERVED_NAME_MESSAGE = (name: string): string =>
  `"${name}" is a name every JavaScript object already has and cannot name a source, sink or rule; choose another`;
