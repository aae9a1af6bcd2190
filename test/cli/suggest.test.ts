/** "Did you mean" for hand-typed names: edit distance with swaps, then fragments. */
import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/cli/suggest.js';

const IDS = [
  'nodeport-in-ephemeral-range',
  'nodeport-hostport-collision',
  'hazardous-node-sysctl',
  'internal-error',
];

describe('suggest', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('editDistance(%j, %j) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

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
