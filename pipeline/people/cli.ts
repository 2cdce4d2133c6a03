// `screentime people ...`: the people library from the command line.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PeopleCommand } from '../cli/args.js';
import { describeError, type RunIO } from '../runtime/run-stage.js';
import { EXIT } from '../../shared/stages.js';
import { enrolIdentity, enrolPhotos } from './enrol.js';
import { addPerson, findPerson, PeopleError, readLibrary, removePerson, summarize, updateLibrary } from './library.js';
import { defaultPeopleDir, PEOPLE_DIR_ENV } from './location.js';
import { openPhotoFaceReader } from './photo.js';
import { exportLibrary, importLibrary } from './transfer.js';

export function peopleDirOf(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(dir ?? (env[PEOPLE_DIR_ENV] || defaultPeopleDir(env)));
}

export async function runPeople(cmd: PeopleCommand, io: RunIO): Promise<number> {
  const dir = peopleDirOf(cmd.dir);
  const say = (human: string, json: unknown) => (cmd.json ? io.out(JSON.stringify(json)) : io.out(human));
  try {
    switch (cmd.action) {
      case 'list': {
        const lib = readLibrary(dir);
        if (cmd.json) io.out(JSON.stringify({ dir, revision: lib.revision, people: lib.people.map(summarize) }));
        else {
          io.err(`${dir}: ${lib.people.length} people`);
          for (const p of lib.people) io.out(`${p.person_id}\t${p.name}\t${p.show ?? ''}\t${p.faces.length} faces${p.locked ? '\tlocked' : ''}${p.learn ? '\tlearns' : ''}`);
        }
        return EXIT.OK;
      }
      case 'add': {
        const p = updateLibrary(dir, (lib) => addPerson(lib, cmd.name, { show: cmd.show ?? null, learn: cmd.learn })).result;
        say(p.person_id, summarize(p));
        return EXIT.OK;
      }
      case 'enrol': {
        if (cmd.episode !== undefined) {
          const { resolveEpisode } = await import('../episode/resolve.js');
          const r = enrolIdentity(dir, cmd.person, resolveEpisode(cmd.episode, {}).outDir, cmd.identity!);
          say(`${r.person.name}: ${r.added} faces added (${r.person.faces.length} in all)`, { person: summarize(r.person), added: r.added });
          return EXIT.OK;
        }
        // the cheap checks before the models load
        findPerson(readLibrary(dir), cmd.person);
        const absent = cmd.photos.find((f) => !existsSync(f));
        if (absent) throw new PeopleError(`${absent}: no such file`);
        const reader = await openPhotoFaceReader({ modelsDir: cmd.models });
        try {
          const r = await enrolPhotos(dir, cmd.person, cmd.photos, reader, [cmd.face]);
          say(`${r.person.name}: ${r.added} faces added (${r.person.faces.length} in all)`, { person: summarize(r.person), added: r.added });
        } finally {
          await reader.close();
        }
        return EXIT.OK;
      }
      case 'remove': {
        const r = removePerson(dir, cmd.person, cmd.faceId);
        say(r.removedPerson ? `removed ${r.person.name}` : `removed face ${cmd.faceId} of ${r.person.name}`, { removed: r.removedPerson ? 'person' : 'face', person_id: r.person.person_id });
        return EXIT.OK;
      }
      case 'export': {
        const r = exportLibrary(dir, path.resolve(cmd.file));
        say(`exported ${r.people} people, ${r.faces} faces to ${path.resolve(cmd.file)}`, r);
        return EXIT.OK;
      }
      case 'import': {
        const r = importLibrary(dir, path.resolve(cmd.file));
        say(`imported ${r.peopleAdded} people, ${r.facesAdded} faces into ${dir}`, r);
        return EXIT.OK;
      }
    }
  } catch (e) {
    const d = describeError(e);
    io.err(`screentime people ${cmd.action}: ${d.message}`);
    return d.code;
  }
}
