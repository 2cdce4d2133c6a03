import { useEffect } from 'react';
import { useApp } from '../store/app-store.js';
import { stepId } from '../store/review.js';
import { toggleId } from '../store/reducers.js';
import { typing } from '../lib/keys.js';


/**
 * Keyboard review of one episode's results (docs/ui.md): Ctrl/Cmd+Z undo, Shift+Ctrl/Cmd+Z (or
 * Ctrl+Y) redo; J / K next / previous person, A accept (a person, next), X reject ("not a
 * person", next), S select for merging, M merge the selected, P play the person.
 * `order` is the people in the order the page shows them.
 */
export function useReviewKeys(episodeId: string, order: readonly number[]): void {
  const key = order.join(',');
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = useApp.getState();
      if (s.openDialog || s.settingsOpen || s.setupOpen || s.selectedId !== episodeId || s.tab !== 'results') return;
      const k = e.key.toLowerCase();
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (k === 'z' || k === 'y')) {
        // a text field keeps its own undo
        if (typing(e.target)) return;
        e.preventDefault();
        if (k === 'y' || e.shiftKey) void s.redo(episodeId);
        else void s.undo(episodeId);
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const results = s.results[episodeId];
      if (!results) return;
      const focused = s.focusedId !== null && order.includes(s.focusedId) ? s.focusedId : null;
      const row = results.identities.find((i) => i.identity_id === focused) ?? null;
      const next = () => s.setFocused(stepId(order, focused, 1));
      switch (k) {
        // (the arrow keys belong to the library list)
        case 'j':
          next();
          break;
        case 'k':
          s.setFocused(stepId(order, focused, -1));
          break;
        case 'a':
          if (!row) return next();
          if (row.ignored) void s.edit(episodeId, { kind: 'ignore', identityId: row.identity_id, ignored: false });
          next();
          break;
        case 'x':
          if (!row) return;
          if (!row.ignored) void s.edit(episodeId, { kind: 'ignore', identityId: row.identity_id, ignored: true });
          next();
          break;
        case 's':
          if (!row) return;
          s.setSelection(toggleId(s.selection, row.identity_id));
          break;
        case 'm': {
          // the selected people, and the focused one with them
          const ids = row && !s.selection.includes(row.identity_id) ? s.selection.concat([row.identity_id]) : s.selection;
          if (ids.length < 2) return;
          void s.edit(episodeId, { kind: 'merge', identityIds: ids }).then((ok) => {
            if (ok) {
              s.setSelection([]);
              s.setFocused(Math.min(...ids));
            }
          });
          break;
        }
        case 'p': {
          if (!row) return;
          const seg = results.screentime?.identities.find((i) => i.identity_id === row.identity_id)?.segments[0];
          if (seg) s.playFrom({ episodeId, at: seg[0], identityId: row.identity_id, trackIds: row.track_ids });
          break;
        }
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
    // key stands for order
  }, [episodeId, key]);
}
