import type { StageState } from '../../../shared/ipc.js';
import { STATE_LABELS } from '../lib/format.js';

/**
 * One stage's state as a small coloured chip; compact chips show the stage name's initials.
 * 'waiting' is not a state on disk: the window's own run waits for the app's CPU budget.
 */
export function StateChip({ state, label, compact = false }: { state: StageState | 'waiting'; label?: string; compact?: boolean }) {
  const text = state === 'waiting' ? 'waiting for the CPU' : STATE_LABELS[state];
  const title = label ? `${label}: ${text}` : text;
  return (
    <span className={`chip chip-${state}${compact ? ' chip-compact' : ''}`} title={title} aria-label={title} data-state={state}>
      <span className="chip-dot" aria-hidden="true" />
      {compact && label ? <span className="chip-text">{shortName(label)}</span> : <span className="chip-text">{text}</span>}
    </span>
  );
}

function shortName(label: string): string {
  // "Detect & track" -> "Detect", "Face embeddings" -> "Faces", short enough for four in a row.
  const map: Record<string, string> = { 'Detect & track': 'Detect', 'Face embeddings': 'Faces', Cluster: 'Cluster', 'Screen time': 'Time' };
  return map[label] ?? label;
}
