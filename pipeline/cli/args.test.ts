import { describe, expect, it } from 'vitest';
import { MAX_STRIDE } from '../../shared/stages.js';
import { DEFAULT_THREADS, parseCli } from './args.js';

describe('parseCli', () => {
  it('accepts the highest stride the window may ask for', () => {
    const c = parseCli(['run', 'ep', '--stride', String(MAX_STRIDE)]);
    expect(c.kind === 'run' && c.options.stride).toBe(MAX_STRIDE);
  });
  it('parses a stage command with every option', () => {
    const c = parseCli(['stage', 'detect_track', '/ep', '--profile', 'low_power', '--stride', '5', '--threads', '1', '--out', '/o', '--models', '/m', '--json']);
    expect(c).toEqual({
      kind: 'stage',
      stage: 'detect_track',
      options: { episode: '/ep', profile: 'low_power', stride: 5, threads: 1, out: '/o', models: '/m', json: true },
    });
  });

  it('reads the sampling of detect_track, and leaves it unset when not given', () => {
    const c = parseCli(['run', '/ep', '--sampling', 'decodable'], false);
    expect(c.kind === 'run' && c.options.sampling).toBe('decodable');
    const d = parseCli(['run', '/ep'], false);
    expect(d.kind === 'run' && d.options.sampling).toBeUndefined();
  });

  it('defaults: balanced, stride from the profile, 2 threads, JSON only when stdout is not a terminal', () => {
    const tty = parseCli(['run', 'ep'], true);
    expect(tty.kind === 'run' && tty.options).toMatchObject({ profile: 'balanced', stride: undefined, threads: DEFAULT_THREADS, json: false });
    const piped = parseCli(['run', 'ep'], false);
    expect(piped.kind === 'run' && piped.options.json).toBe(true);
    expect(DEFAULT_THREADS).toBe(2);
  });

  it('run runs every stage, or from --from on', () => {
    const all = parseCli(['run', 'ep']);
    expect(all.kind === 'run' && all.stages).toEqual(['detect_track', 'faces_embed', 'cluster', 'screentime']);
    const from = parseCli(['run', 'ep', '--from', 'cluster']);
    expect(from.kind === 'run' && from.stages).toEqual(['cluster', 'screentime']);
  });

  it('keeps episode paths with spaces and non-ASCII intact', () => {
    const c = parseCli(['stage', 'cluster', '/tmp/Épisode 1 — été']);
    expect(c.kind === 'stage' && c.options.episode).toBe('/tmp/Épisode 1 — été');
  });

  it.each([
    [['stage', 'nope', 'ep'], /unknown stage "nope"/],
    [['stage'], /missing stage name/],
    [['stage', 'cluster'], /missing <episode>/],
    [['run', 'a', 'b'], /one episode at a time/],
    [['run', 'ep', '--profile', 'turbo'], /--profile must be one of/],
    [['run', 'ep', '--stride', '0'], /--stride must be between 1/],
    [['run', 'ep', '--stride', '2.5'], /whole number/],
    // the window's limit (shared/stages.ts MAX_STRIDE), not a separate one
    [['run', 'ep', '--stride', '121'], /--stride must be between 1 and 120/],
    [['run', 'ep', '--sampling', 'keyframes'], /--sampling must be one of stride, decodable/],
    [['run', 'ep', '--threads', '-1'], /./],
    [['run', 'ep', '--threads', '999'], /--threads must be between/],
    [['run', 'ep', '--bogus'], /Unknown option/],
    [['run', 'ep', '--from', 'x'], /--from must be one of/],
    [['stage', 'cluster', 'ep', '--from', 'cluster'], /--from is an option of "run"/],
    [['frobnicate'], /unknown command/],
    [['models'], /missing models command/],
    [['models', 'fetch', '--mirror', 'ftp://x'], /http/],
  ])('rejects %j', (argv, re) => {
    const c = parseCli(argv as string[]);
    expect(c.kind).toBe('usage-error');
    expect(c.kind === 'usage-error' && c.message).toMatch(re);
  });

  it('help for each command', () => {
    for (const argv of [[], ['--help'], ['run', '--help'], ['stage', '-h'], ['models', '--help'], ['help', 'stage']]) {
      const c = parseCli(argv);
      expect(c.kind).toBe('help');
    }
    const s = parseCli(['stage', '--help']);
    expect(s.kind === 'help' && s.text).toMatch(/--stride N/);
  });

  it('models and worker', () => {
    expect(parseCli(['models', 'fetch', '--dir', '/d', '--mirror', 'http://h/m'])).toMatchObject({ kind: 'models', action: 'fetch', dir: '/d', mirror: 'http://h/m' });
    expect(parseCli(['models', 'verify', '--models', '/m'])).toMatchObject({ kind: 'models', action: 'verify', models: '/m' });
    expect(parseCli(['worker', '--redis', 'redis://x', '--concurrency', '1'])).toEqual({ kind: 'worker', argv: ['--redis', 'redis://x', '--concurrency', '1'] });
  });

  it('export and report', () => {
    expect(parseCli(['export', 'ep', '--format', 'edl', '--person', 'Ann', '--out', 'a.edl', '--start-tc', '01:00:00:00'])).toEqual({
      kind: 'export', episode: 'ep', format: 'edl', person: 'Ann', out: 'a.edl', startTc: '01:00:00:00', dir: undefined,
    });
    expect(parseCli(['export', 'ep']).kind).toBe('usage-error');
    expect(parseCli(['export', 'ep', '--format', 'xml'])).toMatchObject({ kind: 'usage-error', message: '--format must be one of edl, markers-csv' });
    expect(parseCli(['export', 'a', 'b', '--format', 'edl'])).toMatchObject({ kind: 'usage-error', message: 'one episode at a time (got 2)' });
    expect(parseCli(['export', 'ep', '--format', 'edl', '--bogus'])).toMatchObject({ kind: 'usage-error' });
    expect(parseCli(['report', 'a', 'b'])).toEqual({ kind: 'report', paths: ['a', 'b'], format: 'csv', out: undefined });
    expect(parseCli(['report', 'show', '--format', 'json', '--out', 'r.json'])).toEqual({ kind: 'report', paths: ['show'], format: 'json', out: 'r.json' });
    expect(parseCli(['report'])).toMatchObject({ kind: 'usage-error' });
    expect(parseCli(['report', 'a', '--format', 'xlsx'])).toMatchObject({ kind: 'usage-error' });
    expect(parseCli(['export', '--help'])).toMatchObject({ kind: 'help' });
  });

  it('--people on run and stage cluster only; the people commands', () => {
    expect(parseCli(['run', 'ep', '--people', '/lib'])).toMatchObject({ kind: 'run', people: '/lib' });
    expect(parseCli(['stage', 'cluster', 'ep', '--people', '/lib'])).toMatchObject({ kind: 'stage', stage: 'cluster', people: '/lib' });
    expect(parseCli(['stage', 'detect_track', 'ep', '--people', '/lib'])).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(/option of the cluster stage/) });
    expect(parseCli(['people', 'list', '--people', '/lib', '--json'])).toEqual({ kind: 'people', action: 'list', dir: '/lib', json: true });
    expect(parseCli(['people', 'add', 'Jessica Huang', '--show', 'FOTB', '--learn'])).toMatchObject({ action: 'add', name: 'Jessica Huang', show: 'FOTB', learn: true });
    expect(parseCli(['people', 'enrol', 'Eddie', 'a.png', 'b.png'])).toMatchObject({ action: 'enrol', person: 'Eddie', photos: ['a.png', 'b.png'], face: undefined });
    expect(parseCli(['people', 'enrol', 'Eddie', 'group.png', '--face', '3'])).toMatchObject({ action: 'enrol', face: 3 });
    expect(parseCli(['people', 'enrol', 'Eddie', '--episode', 'ep', '--identity', '0'])).toMatchObject({ action: 'enrol', episode: 'ep', identity: 0, photos: [] });
    expect(parseCli(['people', 'remove', 'p_1', '--face', 'f_2'])).toMatchObject({ action: 'remove', person: 'p_1', faceId: 'f_2' });
    expect(parseCli(['people', 'export', 'out.json'])).toMatchObject({ action: 'export', file: 'out.json' });
    for (const [argv, re] of [
      [['people'], /missing people command/],
      [['people', 'rename'], /unknown people command/],
      [['people', 'enrol', 'Eddie'], /needs photos/],
      [['people', 'enrol', 'Eddie', 'a.png', 'b.png', '--face', '1'], /one photo at a time/],
      [['people', 'enrol', 'Eddie', '--episode', 'ep'], /go together/],
      [['people', 'import'], /takes one file/],
    ] as const) expect(parseCli([...argv])).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(re) });
  });
});
