/**
 * The ports ThingSpace accepts in a registered callback URL (THINGSPACE.md §4): platform knowledge that both the
 * registration rules and the config's warnings apply.
 */
/** Ports ThingSpace accepts in a registered callback URL (THINGSPACE.md §4). */
const REGISTRABLE_PORTS: readonly (readonly [number, number])[] = [
  [80, 80],
  [443, 443],
  [9001, 9006],
  [28200, 28220],
  [50551, 50559],
];

export const REGISTRABLE_PORTS_TEXT = '80, 443, 9001-9006, 28200-28220, 50551-50559';

export function isRegistrablePort(port: number): boolean {
  return REGISTRABLE_PORTS.some(([low, high]) => port >= low && port <= high);
}

/** The port a URL names, or its scheme's default. */
export function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
