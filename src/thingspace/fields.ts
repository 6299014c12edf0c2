import type { RawDevice, MessageNode } from '../message/types';
import type { FlatFields } from '../events/types';

/**
 * The flattened fields of one element are at most FLAT_FACTOR times the size of its tree (its names, texts and
 * attributes, plus FLAT_NODE_COST per node) and at most FLAT_MAX_CHARS, counted in UTF-16 code units of paths
 * and values. Each path repeats every ancestor's name, so a deep tree of long names flattens to far more than
 * it is: a 47 KB body once made seconds of work and hundreds of MB (issue 15). Ordinary elements, whose paths
 * are a few names long, stay far below the bound; one that would pass it gets no fields at all, and its source
 * fragment (GenericElement.xml) is then the only reading of it. An element always has at least one field
 * otherwise (a leaf or a scalar at its end), so an empty map says exactly that.
 */
export const FLAT_FACTOR = 8;
const FLAT_NODE_COST = 8;
const FLAT_MAX_CHARS = 1024 * 1024;

/**
 * Every text and attribute under `node` as `path -> value`, paths relative to `node`. Texts in `consumed` are
 * left out: they already sit in a typed field. Empty when the fields would be too large (FLAT_FACTOR). The map
 * has no prototype, so any name is a key: `__proto__` and `constructor` too.
 *
 * XML, in an XPath-like form: `.` is the node's own text, `a/b` a descendant's text, `a/@x` an attribute (`@x`
 * the node's own), `a[2]` the second of several siblings named `a` (indexes from 1, only when a name repeats). A
 * leaf always appears, empty or not, so `<Foo/>` is kept too; an element with children appears only when it has
 * text of its own.
 *
 * JSON, in the dotted form of JSON paths: `a.b` a member, `a[0]` an array item (indexes from 0, always), `.` the
 * node itself when it is a scalar. Scalars and empty containers appear, containers with content do not.
 */
export function flatten(node: MessageNode, consumed: ReadonlySet<MessageNode> = NOTHING): FlatFields {
  return flattenWithin(node, consumed) ?? (Object.create(null) as FlatFields);
}

/** As flatten, but undefined when the fields would be too large. */
function flattenWithin(node: MessageNode, consumed: ReadonlySet<MessageNode>): FlatFields | undefined {
  const flattener = new Flattener(consumed, Math.min(FLAT_MAX_CHARS, FLAT_FACTOR * treeSize(node)));
  const complete = node.json === undefined ? flattener.xml(node, '') : flattener.json(node, '');
  return complete ? flattener.out : undefined;
}

const NOTHING: ReadonlySet<MessageNode> = new Set();

/** What FLAT_FACTOR multiplies: the tree's own texts, each once. */
function treeSize(node: MessageNode): number {
  let size = FLAT_NODE_COST + node.name.length + node.text.length;
  for (const name in node.attributes) size += name.length + node.attributes[name]!.length;
  for (const child of node.children) size += treeSize(child);
  return size;
}

/** Writes fields until its budget is spent; each visit returns false once it is, and the walk stops there. */
class Flattener {
  readonly out = Object.create(null) as FlatFields;
  readonly #consumed: ReadonlySet<MessageNode>;
  #budget: number;

  constructor(consumed: ReadonlySet<MessageNode>, budget: number) {
    this.#consumed = consumed;
    this.#budget = budget;
  }

  #put(path: string, value: string): boolean {
    this.#budget -= path.length + value.length;
    if (this.#budget < 0) return false;
    this.out[path] = value;
    return true;
  }

  xml(node: MessageNode, path: string): boolean {
    const prefix = path === '' ? '' : `${path}/`;
    const { attributes, children } = node;
    for (const name in attributes) if (!this.#put(`${prefix}@${name}`, attributes[name]!)) return false;
    if (!this.#consumed.has(node) && (node.text !== '' || children.length === 0)) {
      if (!this.#put(path === '' ? '.' : path, node.text)) return false;
    }
    if (children.length === 0) return true;

    // Most elements' children all have different names and need no indexes, nor the maps that count them.
    const repeated = repeatedNames(children);
    const seen = repeated && new Map<string, number>();
    for (const child of children) {
      let step = child.name;
      if (seen && repeated.has(step)) {
        const index = (seen.get(step) ?? 0) + 1;
        seen.set(step, index);
        step = `${step}[${index}]`;
      }
      if (!this.xml(child, prefix + step)) return false;
    }
    return true;
  }

  json(node: MessageNode, path: string): boolean {
    const { children } = node;
    if (children.length === 0)
      return this.#consumed.has(node) || this.#put(path === '' ? '.' : path, node.text);
    const array = node.json === 'array';
    for (let index = 0; index < children.length; index++) {
      const child = children[index]!;
      const step = array ? `${path}[${index}]` : path === '' ? child.name : `${path}.${child.name}`;
      if (!this.json(child, step)) return false;
    }
    return true;
  }
}

function repeatedNames(children: readonly MessageNode[]): Set<string> | undefined {
  if (children.length < 2) return undefined;
  const names = new Set<string>();
  let repeated: Set<string> | undefined;
  for (const { name } of children) {
    if (names.has(name)) (repeated ??= new Set()).add(name);
    else names.add(name);
  }
  return repeated;
}

/** The first child with this local name, compared case-insensitively: the platform's casing drifts (§2). */
function childNamed(node: MessageNode, name: string): MessageNode | undefined {
  const wanted = name.toLowerCase();
  return node.children.find((child) => child.name.toLowerCase() === wanted);
}

/**
 * An element holding `Kind` and `Identifier` children is a device identifier, wherever it sits (§2); in JSON, an
 * object holding `kind` and `id` (the REST API's `deviceIds` entries, §6). `id` counts in JSON only: no XML
 * message names an identifier so, and an XML `Id` beside a `Kind` may mean anything.
 */
function identifierParts(node: MessageNode): [kind: MessageNode, identifier: MessageNode] | undefined {
  const kind = childNamed(node, 'Kind');
  const identifier =
    childNamed(node, 'Identifier') ?? (node.json === 'object' ? childNamed(node, 'id') : undefined);
  return kind && identifier ? [kind, identifier] : undefined;
}

/** Depth-first, document order: every element at or below `node` that is a device identifier. */
function* identifierElements(node: MessageNode): Generator<[kind: MessageNode, identifier: MessageNode]> {
  const parts = identifierParts(node);
  if (parts) yield parts;
  for (const child of node.children) yield* identifierElements(child);
}

function toRawDevice([kind, identifier]: [MessageNode, MessageNode]): RawDevice {
  return { kind: kind.text, identifier: identifier.text };
}

/** Every device identifier in these trees, in document order: how a message without `Device` is keyed. */
export function findDevices(nodes: readonly MessageNode[]): RawDevice[] {
  return nodes.flatMap((node) => Array.from(identifierElements(node), toRawDevice));
}

/** What the readers of one element share: the nodes typed fields took, and whether the rest was too large. */
interface ReadState {
  consumed: Set<MessageNode>;
  tooLarge: boolean;
}

/**
 * Reads a payload element into a typed record and remembers what it read, so that `rest()` returns exactly what
 * no typed field holds: typed payloads stay lossless by construction. Call `rest()` last. Texts come trimmed
 * (pretty-printed XML surrounds them with whitespace that means nothing); `rest()` keeps texts exactly.
 */
export class ElementReader {
  readonly #node: MessageNode;
  readonly #read: ReadState;

  constructor(node: MessageNode, read: ReadState = { consumed: new Set(), tooLarge: false }) {
    this.#node = node;
    this.#read = read;
  }

  /**
   * Whether `rest()`, here or on any reader of the same element, found too much to flatten: the typed record
   * would then lose it, so the caller keeps the element generic (its source fragment holds everything).
   */
  get tooLarge(): boolean {
    return this.#read.tooLarge;
  }

  /** The element's own text. */
  ownText(): string {
    this.#read.consumed.add(this.#node);
    return this.#node.text.trim();
  }

  /** The text of the first child with this name; null when there is none or it is JSON null ('' when empty). */
  text(name: string): string | null {
    const child = childNamed(this.#node, name);
    if (!child) return null;
    this.#read.consumed.add(child);
    return child.json === 'null' ? null : child.text.trim();
  }

  /**
   * The text of the first child with this name as `parse` reads it. Only a text that parses counts as read: one
   * that doesn't stays for `rest()`, so a typed field that cannot hold a value never loses it. Null when there is
   * no such child, it is JSON null (read, as by `text`), or it doesn't parse.
   */
  parsed<T>(name: string, parse: (text: string) => T | null): T | null {
    const child = childNamed(this.#node, name);
    if (!child) return null;
    const value = child.json === 'null' ? null : parse(child.text.trim());
    if (value !== null || child.json === 'null') this.#read.consumed.add(child);
    return value;
  }

  /** The first child with this name, to read further down; null when there is none. */
  child(name: string): ElementReader | null {
    const child = childNamed(this.#node, name);
    return child ? new ElementReader(child, this.#read) : null;
  }

  /** The items of a JSON array, in order; none when the element is anything else. */
  items(): ElementReader[] {
    if (this.#node.json !== 'array') return [];
    return this.#node.children.map((child) => new ElementReader(child, this.#read));
  }

  /** This element as a device identifier, from its own `Kind` and `Identifier` (JSON: `kind` and `id`); else null. */
  device(): RawDevice | null {
    const parts = identifierParts(this.#node);
    return parts ? this.#take(parts) : null;
  }

  /** Device identifiers at or below this element (see `findDevices`), in document order. */
  devices(): RawDevice[] {
    return Array.from(identifierElements(this.#node), (parts) => this.#take(parts));
  }

  #take(parts: [MessageNode, MessageNode]): RawDevice {
    parts.forEach((part) => this.#read.consumed.add(part));
    return toRawDevice(parts);
  }

  /** Everything under the element that no typed field took, flattened like `flatten` (so empty when too large). */
  rest(): FlatFields {
    const fields = flattenWithin(this.#node, this.#read.consumed);
    if (fields) return fields;
    this.#read.tooLarge = true;
    return Object.create(null) as FlatFields;
  }
}
