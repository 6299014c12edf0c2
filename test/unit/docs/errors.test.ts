import { readFileSync } from 'node:fs';
import { ANSWER_CODES, ERROR_CODES, ERRORS } from '../../../src/errors';
import { README, renderConsumerErrorTable, renderErrorTable, withErrorTable } from '../../../src/docs/errors';

describe("the README's error table", () => {
  it('is what `npm run docs:errors` generates from the catalogue', () => {
    const committed = readFileSync(README, 'utf8');
    // On failure: run `npm run docs:errors` and commit the result.
    expect(committed).toBe(withErrorTable(committed));
  });

  it('lists exactly the codes a caller can see, by status', () => {
    const table = renderErrorTable();
    const listed = [...table.matchAll(/^\| (\d{3}) +\| `(\w+)`/gm)].map((match) => [
      Number(match[1]),
      match[2],
    ]);
    const callerSees = ANSWER_CODES.filter((code) => ERRORS[code].where === 'callback');
    expect(listed.map(([, code]) => code).sort()).toEqual([...callerSees].sort());
    const statuses = listed.map(([status]) => status as number);
    expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
    expect(table).not.toContain('`TOPICS_MISSING`');
    expect(table).not.toContain('`UWS_FAULT`');
  });

  it("gives the answer in both formats: the SOAP Fault and the JSON body, and where each row's text comes from", () => {
    const table = renderErrorTable();
    expect(table).toContain('<faultstring><code>: <text></faultstring>');
    expect(table).toContain('`{"code": "<code>", "message": "<text>"}`');
    // A 4xx with its message shown carries it; a 5xx its fixed description.
    expect(table).toMatch(/^\| 400 +\| `MALFORMED_XML` .*\| `Client` \| its own \|$/m);
    expect(table).toMatch(/^\| 503 +\| `QUEUE_FULL` .*\| `Server` \| `when` +\|$/m);
  });

  it('refuses a README without the markers', () => {
    expect(() => withErrorTable('# no table here\n')).toThrow('errors:start');
    expect(() => withErrorTable('<!-- errors:start -->\n<!-- errors:end -->\n')).toThrow(
      'consumer-errors:start',
    );
  });

  it("lists the consumer decoder's codes, and only those, with whether a retry helps", () => {
    const table = renderConsumerErrorTable();
    const listed = [...table.matchAll(/^\| `(\w+)`/gm)].map((match) => match[1]);
    expect(listed).toEqual(ERROR_CODES.filter((code) => ERRORS[code].where === 'consumer'));
    expect(table).toMatch(/^\| `CONSUMER_REGISTRY_UNREACHABLE` .*\| yes +\|$/m);
    expect(table).toMatch(/^\| `CONSUMER_NOT_WIRE_FORMAT` .*\| no +\|$/m);
  });
});
