// Stand-alone entry of the queue worker (`node dist/queue/worker-cli-main.js --redis ...`), the same
// as `screentime worker ...`.

import { runWorkerCli } from './worker-cli.js';

const code = await runWorkerCli(process.argv.slice(2));
// Exit explicitly: a Redis socket still closing must not keep a stopped worker around.
process.exit(code);
