import { ElementReader, findDevices, flatten } from '../../../src/thingspace/fields';
import { node } from './builders';

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
