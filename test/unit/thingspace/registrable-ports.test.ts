/** The ports ThingSpace registers callback URLs on (THINGSPACE.md §4). */
import { isRegistrablePort } from '../../../src/thingspace/registrable-ports';

describe('isRegistrablePort', () => {
  it.each([80, 443, 9001, 9006, 28200, 28220, 50551, 50559])('takes %i', (port) => {
    expect(isRegistrablePort(port)).toBe(true);
  });
  it.each([0, 79, 81, 442, 8080, 9000, 9007, 28199, 28221, 50550, 50560])('refuses %i', (port) => {
    expect(isRegistrablePort(port)).toBe(false);
  });
});
