import { describe, expect, it } from 'vitest';
import { userFromAuthorization } from '../src/server/auth.js';
import { createSeqState, resetSeq, trackSeq } from '../src/web/seq.js';
import { sparkline } from '../src/web/sparkline.js';
import { readUser } from '../src/web/user.js';

describe('tick continuity', () => {
  it('lists the numbers that never came, counts repeats, and starts afresh after a reset', () => {
    const seq = createSeqState();
    for (const n of [4, 5, 8, 8, 9]) trackSeq(seq, n);
    expect(seq).toEqual({ last: 9, received: 5, missing: [6, 7], duplicates: 1 });
    resetSeq(seq);
    trackSeq(seq, 1); // a restarted server counts from 1 again
    expect(seq).toMatchObject({ last: 1, missing: [6, 7], duplicates: 1 });
  });
});

describe('sparkline', () => {
  it('spans the width, oldest left, from zero up', () => {
    const { line, area, last } = sparkline([0, 10, 5], 100, 50);
    expect(line).toBe('M0 49 L50 7.3 L100 28.1');
    expect(area).toBe(`${line} L100 50 L0 50 Z`);
    expect(last).toEqual({ x: 100, y: 28.1 });
  });

  it('draws one value as a point on the right and nothing for none', () => {
    expect(sparkline([3], 100, 50).line).toBe('M100 7.3');
    expect(sparkline([], 100, 50)).toEqual({ line: '', area: '', last: undefined });
  });
});

describe('users', () => {
  it('reads the bearer token as the user name, and refuses anything else', () => {
    expect(userFromAuthorization('Bearer grace')).toEqual({ id: 'grace' });
    expect(userFromAuthorization('bearer ada')).toEqual({ id: 'ada' });
    for (const header of [undefined, '', 'Bearer', 'Basic YWRhOg==', 'Bearer Grace', 'Bearer a b', `Bearer ${'a'.repeat(25)}`]) {
      expect(userFromAuthorization(header)).toBeUndefined();
    }
  });

  it('takes ?user= for the page, defaulting to ada, and suggests the other user', () => {
    expect(readUser('?user=grace')).toEqual({ user: 'grace', peer: 'ada' });
    expect(readUser('')).toEqual({ user: 'ada', peer: 'grace' });
    expect(readUser('?user=<script>')).toEqual({ user: 'ada', peer: 'grace' });
  });
});
