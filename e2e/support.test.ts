import { describe, expect, it } from 'vitest';
import { parseCsv } from './support.js';

describe('parseCsv', () => {
  it('reads quoted cells, doubled quotes, CRLF and a missing final newline', () => {
    expect(parseCsv('a,b\n1,"x, ""y"""\r\n2,')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
      ['2', ''],
    ]);
  });
});
