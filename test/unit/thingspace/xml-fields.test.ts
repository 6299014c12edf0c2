import { ElementReader, findDevices, FLAT_FACTOR, flatten } from '../../../src/thingspace/fields';
import type { MessageNode } from '../../../src/message/types';
import { node } from './builders';

/** `leaves` leaves under a chain of `depth` elements named with `nameLength` characters. */
function deepTree(depth: number, nameLength: number, leaves: number): MessageNode {
  let tree = node(
    'Bottom',
    Array.from({ length: leaves }, (_, i) => node('a', String(i))),
  );
  for (let i = 0; i < depth; i++) tree = node(`n${i}`.padEnd(nameLength, 'x'), [tree]);
  return node('Top', [tree]);
}

function size(fields: Record<string, string>): number {
  return Object.entries(fields).reduce((sum, [path, value]) => sum + path.length + value.length, 0);
}

describe('flatten: the lossless generic payload', () => {
  it('keys texts by path relative to the element, nesting with /', () => {
    const usage = node('Usage', [node('Period', [node('Start', '2026-03-01'), node('End', '2026-03-31')])]);
    expect(flatten(usage)).toEqual({ 'Period/Start': '2026-03-01', 'Period/End': '2026-03-31' });
  });

  it('gives the element its own text as `.`', () => {
    expect(flatten(node('Comment', 'free text'))).toEqual({ '.': 'free text' });
  });

  it('indexes repeated siblings from 1, and only names that repeat', () => {
    const list = node('List', [node('Item', 'a'), node('Other', 'x'), node('Item', 'b'), node('Item', 'c')]);
    expect(flatten(list)).toEqual({ 'Item[1]': 'a', Other: 'x', 'Item[2]': 'b', 'Item[3]': 'c' });
  });

  it('indexes at every level', () => {
    const tree = node('T', [
      node('Row', [node('Cell', '1'), node('Cell', '2')]),
      node('Row', [node('Cell', '3')]),
    ]);
    expect(flatten(tree)).toEqual({ 'Row[1]/Cell[1]': '1', 'Row[1]/Cell[2]': '2', 'Row[2]/Cell': '3' });
  });

  it('keeps attributes as @name, on the element itself and below', () => {
    const tree = node('Bytes', [node('Value', '42', { unit: 'B' })], { version: '3' });
    expect(flatten(tree)).toEqual({ '@version': '3', 'Value/@unit': 'B', Value: '42' });
  });

  it('keeps empty leaves, and a parent only when it has text of its own', () => {
    const tree = node('P', [node('Empty'), node('Parent', [node('Child', 'c')])]);
    expect(flatten(tree)).toEqual({ Empty: '', 'Parent/Child': 'c' });
    const mixed: ReturnType<typeof node> = { ...node('Mixed', [node('Child', 'c')]), text: 'own' };
    expect(flatten(mixed)).toEqual({ '.': 'own', Child: 'c' });
  });

  it('keeps texts exactly, whitespace included', () => {
    expect(flatten(node('Note', '  two  spaces \n'))).toEqual({ '.': '  two  spaces \n' });
  });
});

describe('flatten: bounded, and safe for any name', () => {
  it("gives names of Object.prototype's their own fields", () => {
    const names = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];
    const fields = flatten(
      node(
        'T',
        names.map((name) => node(name, `v ${name}`, { [name]: `a ${name}` })),
      ),
    );
    expect(Object.entries(fields)).toEqual(
      names.flatMap((name) => [
        [`${name}/@${name}`, `a ${name}`],
        [name, `v ${name}`],
      ]),
    );
  });

  it('is empty when it would be larger than FLAT_FACTOR times its tree', () => {
    // 2,000 leaves whose paths repeat 30 names of 50 characters: 3 MB flattened, from a tree of 40 KB.
    expect(flatten(deepTree(30, 50, 2000))).toEqual({});
    const reader = new ElementReader(deepTree(30, 50, 2000));
    expect(reader.rest()).toEqual({});
    expect(reader.tooLarge).toBe(true);
  });

  it('is whole short of that, however deep', () => {
    // Each leaf's path is as long as the whole tree's names: FLAT_FACTOR leaves' paths would not fit.
    const leaves = FLAT_FACTOR / 2;
    const fields = flatten(deepTree(30, 50, leaves));
    expect(Object.keys(fields)).toHaveLength(leaves);
    expect(size(fields)).toBeGreaterThan(leaves * 30 * 50);
    const reader = new ElementReader(deepTree(30, 50, leaves));
    reader.rest();
    expect(reader.tooLarge).toBe(false);
  });
});

describe('ElementReader: typed fields plus everything else', () => {
  const change = node('ExternalProvisioningChange', [
    node('Source', ' Portal '),
    node('Change', 'Activate'),
    node('Unknown', 'kept'),
    node('Change', 'second Change: not typed, so kept'),
    node('DeviceInfo', [
      node('Ids', [
        node('Id', [node('Kind', 'IMEI'), node('Identifier', '990000862471854')], { primary: 'yes' }),
        node('Id', [node('Kind', 'iccid'), node('Identifier', '89148000000000000123')]),
      ]),
    ]),
  ]);

  it('reads texts trimmed, case-insensitively, and leaves the rest (texts exact) to rest()', () => {
    const reader = new ElementReader(change);
    expect(reader.text('source')).toBe('Portal');
    expect(reader.text('Change')).toBe('Activate');
    expect(reader.text('Missing')).toBeNull();
    expect(reader.child('Missing')).toBeNull();
    expect(reader.child('DeviceInfo')?.devices()).toEqual([
      { kind: 'IMEI', identifier: '990000862471854' },
      { kind: 'iccid', identifier: '89148000000000000123' },
    ]);
    expect(reader.rest()).toEqual({
      Unknown: 'kept',
      'Change[2]': 'second Change: not typed, so kept',
      'DeviceInfo/Ids/Id[1]/@primary': 'yes',
    });
  });

  it('rest() before any read is the whole element, as flatten gives it', () => {
    expect(new ElementReader(change).rest()).toEqual(flatten(change));
  });

  it('device() reads an element holding Kind and Identifier, null otherwise', () => {
    const reader = new ElementReader(node('Changed', [node('Kind', 'esn'), node('Identifier', '8f3a1c2e')]));
    expect(reader.device()).toEqual({ kind: 'esn', identifier: '8f3a1c2e' });
    expect(reader.rest()).toEqual({});
    expect(new ElementReader(node('X', [node('Kind', 'esn')])).device()).toBeNull();
  });

  it('an empty child reads as an empty string, not null', () => {
    expect(new ElementReader(node('P', [node('ServicePlan')])).text('ServicePlan')).toBe('');
  });
});

describe('findDevices', () => {
  it('finds Kind + Identifier pairs at any depth, in document order', () => {
    const trees = [
      node('A', [node('Deep', [node('Deeper', [node('Kind', 'mdn'), node('Identifier', '5555550142')])])]),
      node('B', [node('Kind', 'imei'), node('Identifier', '990000862471854')]),
      node('C', [node('Kind', 'no identifier here')]),
    ];
    expect(findDevices(trees)).toEqual([
      { kind: 'mdn', identifier: '5555550142' },
      { kind: 'imei', identifier: '990000862471854' },
    ]);
  });
});
