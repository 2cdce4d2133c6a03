// `npm run lint`: the recommended rules that catch real mistakes, plus the layer rule that keeps
// the folders in their order (README: Layers). Syntax only, no type information and no built
// files, so it runs on a clean clone in seconds; the type checker does the rest.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layers, lowest first: each one's files and the layers it may import besides itself.
 * Everything else in the repository (a higher layer, a sibling, bench/, test-support/, a folder
 * added later) is refused; npm packages and Node built-ins are always allowed.
 */
const LAYERS = {
  shared: { files: ['shared/**'], may: [] },
  pipeline: { files: ['pipeline/**'], may: ['shared'] },
  // host/ without host/web/: the plain-Node core of the desktop app.
  'host core': { files: ['host/!(web)/**', 'host/*'], may: ['shared', 'pipeline'] },
  // Below the app, beside the host core: the worker runs without any of host/.
  queue: { files: ['queue/**'], may: ['shared', 'pipeline'] },
  // The app layer: each one wires the host core (and queue mode) together for one shell.
  'host/web': { files: ['host/web/**'], may: ['host core', 'queue', 'pipeline', 'shared'] },
  electron: { files: ['electron/**'], may: ['host core', 'queue', 'pipeline', 'shared'] },
  // The window talks to the rest only through the typed bridge in shared/.
  renderer: { files: ['renderer/**'], may: ['shared'] },
};

/** Tests may reach across layers (a host test starts a real queue, say); bench/, e2e/ and test-support/ are in no layer. */
const TESTS = ['**/*.test.ts', '**/*.test.tsx'];

const abs = (glob) => path.join(ROOT, glob);

// One zone per layer: its files may import from anywhere in the repository except what it may.
const layerZones = Object.entries(LAYERS).map(([name, layer]) => ({
  target: layer.files,
  from: '**',
  except: [name, ...layer.may].flatMap((l) => LAYERS[l].files).concat('**/node_modules/**').map(abs),
  message: `${name} may import only ${layer.may.length ? layer.may.join(', ') : 'npm packages'} (README: Layers).`,
}));

export default defineConfig(
  {
    ignores: ['dist/', 'release/', 'out/', 'test-results/', 'bench/.work/', 'build/models/', 'coverage/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs,ts,tsx,mts,cts}'],
    languageOptions: { globals: globals.node },
    plugins: { 'import-x': importX },
    settings: {
      // Sources import each other as `./x.js` (NodeNext): resolve that to x.ts, or the layer
      // rule would not see the import at all.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'], '.cjs': ['.cts', '.cjs'] },
        }),
      ],
    },
    rules: {
      // An import the resolver cannot follow would slip past the layer rule unnoticed. Packages
      // are left to the type checker; dist/ does not exist on a clean clone.
      'import-x/no-unresolved': ['error', { ignore: ['^[^.]', '/dist/'] }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs,ts,tsx,mts,cts}'],
    ignores: TESTS,
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: layerZones }],
    },
  },
);
