// What an identity card says about the people library: a suggestion to accept or reject, a name
// the library gave (which can be rejected), and "Add to people library".

import type { Edit } from '../../../shared/ipc.js';
import type { IdentityRow } from '../../../shared/artifacts.js';
import { personLine } from '../lib/people.js';
import { usePeople } from '../store/people-store.js';

export function PersonSuggestion(props: { row: IdentityRow; episodeId: string; onEdit: (e: Edit) => Promise<boolean> }) {
  const { row } = props;
  const line = personLine(row);
  const personId = row.person_id ?? null;
  const decide = (decision: 'confirm' | 'reject') =>
    personId && void props.onEdit({ kind: 'person', identityId: row.identity_id, personId, decision, ...(decision === 'confirm' && row.person_name ? { label: row.person_name } : {}) });
  return (
    <>
    {line ? (
    <div className={`person-line person-${line.kind}`}>
      <span className="person-line-text">{line.text}</span>
      {line?.kind === 'suggested' ? (
        <>
          <button type="button" className="btn btn-small btn-primary" onClick={() => decide('confirm')}>
            Accept
          </button>
          <button type="button" className="btn btn-small" onClick={() => decide('reject')}>
            Reject
          </button>
        </>
      ) : null}
      {line?.kind === 'auto' ? (
        <button type="button" className="btn-ghost btn-small" onClick={() => decide('reject')} aria-label={`Not ${row.person_name ?? 'this person'}`}>
          Not {row.person_name}
        </button>
      ) : null}
    </div>
    ) : null}
    {!row.ignored ? (
      <div className="person-line">
        <button
          type="button"
          className="btn-ghost btn-small"
          onClick={() => usePeople.getState().setOpen(true, { episodeId: props.episodeId, identityId: row.identity_id, label: row.label })}
        >
          Add to people library
        </button>
      </div>
    ) : null}
    </>
  );
}
