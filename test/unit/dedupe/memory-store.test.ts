import { MemorySeenStore } from '../../../src/dedupe/memory-store';
import { behavesAsSeenStore } from './seen-store-behaviour';

describe('MemorySeenStore', () => {
  behavesAsSeenStore(() => new MemorySeenStore(), { persistent: false });
});
