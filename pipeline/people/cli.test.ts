// `screentime people ...` through the built CLI: exit codes and messages a user sees.

import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT } from '../../shared/stages.js';
import { CLI_JS, missing } from '../../test-support/shared-data.js';

const skip = missing(CLI_JS);
const cli = (args: string[]) => execa(process.execPath, [CLI_JS, 'people', ...args], { reject: false, stdin: 'ignore' });

describe.skipIf(skip)(`screentime people ${skip ?? ''}`, () => {
  it('add, list, export, import, remove; a damaged library is refused and kept', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'screentime-people-cli-'));
    const lib = path.join(root, 'lib');
    const add = await cli(['add', 'Jessica Huang', '--show', 'FOTB', '--people', lib]);
    expect(add.exitCode).toBe(EXIT.OK);
    expect(add.stdout).toMatch(/^p_[a-z0-9]+$/);
    expect((await cli(['add', 'jessica huang', '--show', 'FOTB', '--people', lib])).stderr).toMatch(/already in the library/);
    const list = JSON.parse((await cli(['list', '--json', '--people', lib])).stdout) as { people: Array<{ name: string; show: string }> };
    expect(list.people).toMatchObject([{ name: 'Jessica Huang', show: 'FOTB' }]);

    const file = path.join(root, 'export.json');
    expect((await cli(['export', file, '--people', lib])).exitCode).toBe(EXIT.OK);
    const other = path.join(root, 'other');
    const imp = await cli(['import', file, '--people', other, '--json']);
    expect(JSON.parse(imp.stdout)).toEqual({ peopleAdded: 1, facesAdded: 0 });

    expect((await cli(['remove', 'Jessica Huang', '--people', lib])).exitCode).toBe(EXIT.OK);
    const gone = await cli(['remove', 'Jessica Huang', '--people', lib]);
    expect(gone.exitCode).toBe(EXIT.BAD_INPUT);
    expect(gone.stderr).toMatch(/no person "Jessica Huang"/);

    writeFileSync(path.join(other, 'people.json'), '[1, 2');
    const bad = await cli(['add', 'Louis', '--people', other]);
    expect(bad.exitCode).toBe(EXIT.BAD_INPUT);
    expect(bad.stderr).toContain(`${path.join(other, 'people.json')}: not valid JSON`);
    expect(readFileSync(path.join(other, 'people.json'), 'utf8')).toBe('[1, 2');
    // checked before any model loads
    expect((await cli(['enrol', 'Louis', path.join(root, 'missing.png'), '--people', lib])).stderr).toMatch(/no person "Louis"/);
    await cli(['add', 'Louis', '--people', lib]);
    expect((await cli(['enrol', 'Louis', path.join(root, 'missing.png'), '--people', lib])).stderr).toContain(`${path.join(root, 'missing.png')}: no such file`);
  });
});
