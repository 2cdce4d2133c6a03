// Renders the app and tray icons from the SVGs in build/ with sharp (run: node build/make-icons.mjs).
// The PNGs are committed so packaging needs no rendering step.
import sharp from 'sharp';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'icons');
mkdirSync(out, { recursive: true });
const icon = readFileSync(path.join(here, 'icon.svg'));
const tray = readFileSync(path.join(here, 'tray.svg'));

// electron-builder reads build/icons/<N>x<N>.png for Linux and build/icon.png (512) for mac/win.
for (const n of [16, 32, 48, 64, 128, 256, 512]) {
  await sharp(icon, { density: Math.max(72, (72 * n) / 512 * 4) }).resize(n, n).png().toFile(path.join(out, `${n}x${n}.png`));
}
await sharp(icon, { density: 288 }).resize(512, 512).png().toFile(path.join(here, 'icon.png'));
// Tray: macOS wants a black "Template" image (it recolours it); elsewhere a light glyph reads on dark panels.
await sharp(tray, { density: 144 }).resize(32, 32).png().toFile(path.join(out, 'trayTemplate@2x.png'));
await sharp(tray, { density: 72 }).resize(16, 16).png().toFile(path.join(out, 'trayTemplate.png'));
const light = Buffer.from(tray.toString().replaceAll('#000', '#e8ecff'));
await sharp(light, { density: 144 }).resize(32, 32).png().toFile(path.join(out, 'tray.png'));
console.log(`icons written to ${out}`);
