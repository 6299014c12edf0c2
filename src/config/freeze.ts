import type { Secret } from '../util/secret';

type Leaf = Secret | string | number | boolean | bigint | symbol | null | undefined;

/** Read-only all the way down; a `Secret` stays a `Secret` (a mapped type would lose its private brand). */
export type Frozen<T> = T extends Leaf
  ? T
  : T extends readonly (infer Item)[]
    ? readonly Frozen<Item>[]
    : { readonly [K in keyof T]: Frozen<T[K]> };

/** Freezes a plain data tree in place, so no module can change settings another one already read. */
export function deepFreeze<T>(value: T): Frozen<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as Frozen<T>;
}
