import type { RawDevice, MessageNode } from '../message/types';

/**
 * Every text and attribute under `node` as `path -> value`, paths relative to `node`. Texts in `consumed` are
 * left out: they already sit in a typed field.
 *
 * XML, in an XPath-like form: `.` is the node's own text, `a/b` a descendant's text, `a/@x` an attribute (`@x`
 * the node's own), `a[2]` the second of several siblings named `a` (indexes from 1, only when a name repeats). A
 * leaf always appears, empty or not, so `<Foo/>` is kept too; an element with children appears only when it has
 * text of its own.
 *
 * JSON, in the dotted form of JSON paths: `a.b` a member, `a[0]` an array item (indexes from 0, always), `.` the
 * node itself when it is a scalar. Scalars and empty containers appear, containers with content do not.
 */
export function flatten(
  node: MessageNode,
  consumed: ReadonlySet<MessageNode> = new Set(),
): Record<string, string> {
  const out: Record<string, string> = {};
  if (node.json === undefined) visitXml(node, '', consumed, out);
  else visitJson(node, '', consumed, out);
  return out;
}

function visitXml(
  node: MessageNode,
  path: string,
  consumed: ReadonlySet<MessageNode>,
  out: Record<string, string>,
): void {
  const prefix = path === '' ? '' : `${path}/`;
  const { attributes, children } = node;
  for (const name in attributes) out[`${prefix}@${name}`] = attributes[name]!;
  if (!consumed.has(node) && (node.text !== '' || children.length === 0))
    out[path === '' ? '.' : path] = node.text;
  if (children.length === 0) return;

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
    visitXml(child, prefix + step, consumed, out);
  }
}

function visitJson(
  node: MessageNode,
  path: string,
  consumed: ReadonlySet<MessageNode>,
  out: Record<string, string>,
): void {
  const { children } = node;
  if (children.length === 0) {
    if (!consumed.has(node)) out[path === '' ? '.' : path] = node.text;
    return;
  }
  const array = node.json === 'array';
  children.forEach((child, index) => {
    const step = array ? `${path}[${index}]` : path === '' ? child.name : `${path}.${child.name}`;
    visitJson(child, step, consumed, out);
  });
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

/**
 * Reads a payload element into a typed record and remembers what it read, so that `rest()` returns exactly what
 * no typed field holds: typed payloads stay lossless by construction. Call `rest()` last. Texts come trimmed
 * (pretty-printed XML surrounds them with whitespace that means nothing); `rest()` keeps texts exactly.
 */
export class ElementReader {
  readonly #node: MessageNode;
  readonly #consumed: Set<MessageNode>;

  constructor(node: MessageNode, consumed: Set<MessageNode> = new Set()) {
    this.#node = node;
    this.#consumed = consumed;
  }

  /** The element's own text. */
  ownText(): string {
    this.#consumed.add(this.#node);
    return this.#node.text.trim();
  }

  /** The text of the first child with this name; null when there is none or it is JSON null ('' when empty). */
  text(name: string): string | null {
    const child = childNamed(this.#node, name);
    if (!child) return null;
    this.#consumed.add(child);
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
    if (value !== null || child.json === 'null') this.#consumed.add(child);
    return value;
  }

  /** The first child with this name, to read further down; null when there is none. */
  child(name: string): ElementReader | null {
    const child = childNamed(this.#node, name);
    return child ? new ElementReader(child, this.#consumed) : null;
  }

  /** The items of a JSON array, in order; none when the element is anything else. */
  items(): ElementReader[] {
    if (this.#node.json !== 'array') return [];
    return this.#node.children.map((child) => new ElementReader(child, this.#consumed));
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
    parts.forEach((part) => this.#consumed.add(part));
    return toRawDevice(parts);
  }

  /** Everything under the element that no typed field took, flattened like `flatten`. */
  rest(): Record<string, string> {
    return flatten(this.#node, this.#consumed);
  }
}
