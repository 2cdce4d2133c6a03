// Where a user's people library lives when no folder is given: a per-user data folder, so every
// episode and every app window finds the same people.

import os from 'node:os';
import path from 'node:path';

export function defaultPeopleDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Screentime', 'people');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Screentime', 'people');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'screentime', 'people');
}

/**
 * The environment variable that hands the library folder to the cluster stage process: set by the
 * CLI for `--people DIR` and by the app for the cluster runs it starts.
 */
export const PEOPLE_DIR_ENV = 'SCREENTIME_PEOPLE_DIR';
