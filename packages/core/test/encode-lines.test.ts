import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodeLines, LinesEncoder } from '../src/transport/encode-lines.js';

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const at = (lines: readonly string[]) => (i: number) => lines[i] as string;

describe('encodeLines / LinesEncoder', () => {
  it('joins ASCII lines with \\n, or ends each with one when terminated, one byte per character', () => {
    const lines = ['wt?p=600,a,0', 'wt?p=600,b,0&eid=1', 'x'];
    const joined = encodeLines(lines.length, at(lines));
    expect(text(joined)).toBe('wt?p=600,a,0\nwt?p=600,b,0&eid=1\nx');
    expect(joined.length).toBe(lines.join('\n').length);
    const terminated = new LinesEncoder().encode(lines.length, at(lines), true);
    expect(text(terminated)).toBe('wt?p=600,a,0\nwt?p=600,b,0&eid=1\nx\n');
  });

  it('keeps a line that is not ASCII whole: the body is the UTF-8 of the joined text, longer than its characters', () => {
    // A pass-through line with raw UTF-8 in the middle of the batch, and one at the very end
    // (where the exactly sized array has no room for its extra bytes).
    for (const lines of [['a=1', 'pu=https://x/café', 'b=2'], ['a=1', 'b=2', 'p=ü'], ['€'], ['a', '\u{1F600}b']]) {
      const bytes = encodeLines(lines.length, at(lines));
      expect(Array.from(bytes)).toEqual(Array.from(utf8.encode(lines.join('\n'))));
      expect(bytes.length).toBeGreaterThan(lines.join('\n').length);
      const encoder = new LinesEncoder();
      expect(text(encoder.encode(lines.length, at(lines), true))).toBe(`${lines.join('\n')}\n`);
    }
  });

  it('encodes exactly as TextEncoder does for any lines, reusing one encoder (property)', () => {
    const encoder = new LinesEncoder();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 30 }), fc.boolean(), (lines, terminated) => {
        const expected = utf8.encode(terminated ? lines.map((line) => `${line}\n`).join('') : lines.join('\n'));
        expect(Array.from(encoder.encode(lines.length, at(lines), terminated))).toEqual(Array.from(expected));
        expect(Array.from(encodeLines(lines.length, at(lines), terminated))).toEqual(Array.from(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes exactly as TextEncoder does with lone surrogates, and with large batches past the kept size mixing ASCII and not (property)', () => {
    const encoder = new LinesEncoder();
    const odd = fc.string({ unit: fc.constantFrom('a', 'Z', '\ud800', '\udfff', 'é', '€', '\u{1F600}'), maxLength: 40 });
    const big = fc.string({ unit: 'grapheme-ascii', minLength: 2000, maxLength: 9000 });
    fc.assert(
      fc.property(fc.array(fc.oneof(odd, big), { maxLength: 40 }), fc.boolean(), (lines, terminated) => {
        const expected = utf8.encode(terminated ? lines.map((line) => `${line}\n`).join('') : lines.join('\n'));
        expect(Buffer.from(encoder.encode(lines.length, at(lines), terminated)).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reuses its array for the next batch, grows for a bigger one, and lets a far too big one go after a run of small batches', () => {
    const encoder = new LinesEncoder();
    const small = Array.from({ length: 10 }, (_, i) => `wt?p=600,page${i},0`);
    const first = encoder.encode(small.length, at(small));
    const second = encoder.encode(small.length, at(small));
    expect(second.buffer).toBe(first.buffer);

    // A backlog batch of ~1 MB needs a bigger array…
    const big = Array.from({ length: 4000 }, (_, i) => `wt?p=600,${'x'.repeat(250)},${i}`);
    const backlog = encoder.encode(big.length, at(big));
    expect(backlog.buffer).not.toBe(first.buffer);
    expect(text(backlog)).toBe(big.join('\n'));
    const kept = backlog.buffer;
    // …kept while small batches come (no reallocation per batch for mixed sizes)…
    for (let i = 0; i < 31; i++) expect(encoder.encode(small.length, at(small)).buffer).toBe(kept);
    expect(encoder.encode(big.length, at(big)).buffer).toBe(kept);
    for (let i = 0; i < 31; i++) expect(encoder.encode(small.length, at(small)).buffer).toBe(kept);
    // …and let go after 32 small batches in a row.
    const after = encoder.encode(small.length, at(small));
    expect(after.buffer).not.toBe(kept);
    expect(after.buffer.byteLength).toBeLessThan(kept.byteLength / 4);
    expect(text(after)).toBe(small.join('\n'));
  });

  it('encodes nothing to an empty body', () => {
    expect(encodeLines(0, at([])).length).toBe(0);
    expect(new LinesEncoder().encode(0, at([]), true).length).toBe(0);
  });
});
