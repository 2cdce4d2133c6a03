// The one modal frame every dialog uses: a backdrop that closes on an outside click, a
// role="dialog" box labelled by its title, Escape to close. Dialogs add their own keys
// (Enter to submit) through onKey.

import type { KeyboardEvent, ReactNode } from 'react';

export function Modal(props: {
  titleId: string;
  onClose: () => void;
  onKey?: (e: KeyboardEvent<HTMLDivElement>) => void;
  /** Room for paths and version lines (the setup check). */
  wide?: boolean;
  children: ReactNode;
}) {
  const { titleId, onClose, onKey, wide = false, children } = props;
  return (
    <div
      className="modal-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        className={wide ? 'modal modal-wide' : 'modal'}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onClose();
            return;
          }
          onKey?.(e);
        }}
      >
        {children}
      </div>
    </div>
  );
}
