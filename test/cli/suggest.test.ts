/** "Did you mean" for hand-typed names: edit distance with swaps, then fragments. */
import { describe, expect, it } from 'vitest';
import { suggest } from '../../src/cli/suggest.js';

const IDS = [
  'nodeport-in-ephemeral-range',
  'nodeport-hostport-collision',
  'hazardous-node-sysctl',
  'internal-error',
];

describe('suggest', () => {
  it.each([
    ['nodeport-hostport-colision', ['nodeport-hostport-collision']],
    ['Hazardous-Node-Sysctl', ['hazardous-node-sysctl']],
    ['ephemeral', ['nodeport-in-ephemeral-range']],
    ['nodeport', ['nodeport-in-ephemeral-range', 'nodeport-hostport-collision']],
    ['zzz', []],
    ['', []],
  ])('%j → %j', (typed, want) => {
    expect(suggest(typed, IDS)).toEqual(want);
  });
});
