// The results toolbar's exports for editing tools: a CMX3600 EDL or a marker CSV of every
// segment, for everyone or one person (host: results:export-segments, pipeline/export/).

import { useState } from 'react';
import { useApp } from '../store/app-store.js';
import { finishExport } from '../lib/download.js';
import { Icon } from './Icon.js';

export function EditingExports({ episodeId, people }: { episodeId: string; people: string[] }) {
  const [person, setPerson] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (format: 'edl' | 'markers-csv') => {
    const { bridge, toast } = useApp.getState();
    if (!bridge) return;
    setBusy(true);
    try {
      const done = finishExport(await bridge.invoke('results:export-segments', { episodeId, format, ...(person ? { person } : {}) }));
      if (done) toast(done);
    } catch (e) {
      toast({ kind: 'error', title: 'Export failed', detail: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="editing-exports" role="group" aria-label="Exports for editing tools">
      <select className="input input-small" aria-label="Person to export" value={people.includes(person) ? person : ''} onChange={(e) => setPerson(e.target.value)}>
        <option value="">Everyone</option>
        {people.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-small" disabled={busy} onClick={() => void run('edl')} title="CMX3600 edit decision list: one event per segment, for Premiere Pro, Resolve, Avid">
        <Icon name="download" size={14} /> Export EDL
      </button>
      <button type="button" className="btn btn-small" disabled={busy} onClick={() => void run('markers-csv')} title="One row per segment with in and out timecodes">
        <Icon name="download" size={14} /> Markers CSV
      </button>
    </span>
  );
}
