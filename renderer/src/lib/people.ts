// Pure helpers of the people-library views.

import type { IdentityRow } from '../../../shared/artifacts.js';

/** Base64 of a file's bytes, in chunks (String.fromCharCode on a whole photo overflows the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Image files of a drop or a file chooser, by type or by name (some drops carry no type). */
export function isImageFile(f: { name: string; type: string }): boolean {
  return f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|tiff?|bmp|avif|heic)$/i.test(f.name);
}

/** What the identity card says about the people library, or null when it has nothing to say. */
export function personLine(row: Pick<IdentityRow, 'match' | 'person_name' | 'distance'>): { kind: 'suggested' | 'auto' | 'confirmed'; text: string } | null {
  const name = row.person_name ?? 'someone in the people library';
  const d = typeof row.distance === 'number' ? ` (distance ${row.distance.toFixed(2)})` : '';
  switch (row.match) {
    case 'suggested':
      return { kind: 'suggested', text: `Is this ${name}?${d}` };
    case 'auto':
      return { kind: 'auto', text: `Named from the people library${d}` };
    case 'confirmed':
      return { kind: 'confirmed', text: 'Confirmed from the people library' };
    default:
      return null;
  }
}
