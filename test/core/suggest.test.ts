/** "Did you mean": the distance, and when a guess is close enough to offer. */
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/core/suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['same', 'same', 0],
    ['ipLocalPortRnage', 'ipLocalPortRange', 1], // a swap of neighbours is one edit
    ['ca', 'abc', 3], // optimal string alignment: no substring is edited twice
    ['exemption', 'exemptions', 1],
    ['node-worker-1', 'node.worker-1', 1],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('stops early past the limit when the lengths alone differ too much', () => {
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });
});

describe('closest', () => {
  const entryFields = [
    'ipLocalPortRange',
    'ipLocalReservedPorts',
    'labels',
    'listeners',
    'listenersTruncated',
    'nodePortSourcePorts',
  ];
  it.each([
    ['ipLocalPortRnage', entryFields, 'ipLocalPortRange'],
    ['iplocalportrange', entryFields, 'ipLocalPortRange'], // case is not an edit
    ['ipLocalReservedPort', entryFields, 'ipLocalReservedPorts'],
    ['listener', entryFields, 'listeners'],
    ['label', entryFields, 'labels'],
    ['nodePortSourcePort', entryFields, 'nodePortSourcePorts'],
    ['kernel', entryFields, undefined],
    ['lbls', entryFields, 'labels'], // two edits
    ['up', ['udp', 'sctp'], 'udp'],
    ['zq', ['ab'], undefined], // two edits, but nothing of the word is left
    ['exemption', ['mode', 'exemptions', 'mutations'], 'exemptions'],
    ['node', ['mode', 'nodes'], 'mode'], // ties go to the earlier candidate
    ['x', ['y'], undefined], // no one-letter guesses
    ['mode', ['mode'], undefined], // the word itself is no suggestion
  ])('%j among %j is %j', (word, candidates, want) => {
    expect(closest(word, candidates)).toBe(want);
  });

  it('says nothing without a guess', () => {
    expect(didYouMean('kernel', ['labels'])).toBe('');
    expect(didYouMean('lables', ['labels'])).toBe('; did you mean "labels"?');
  });
});
