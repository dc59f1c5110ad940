import type { ReactNode } from 'react';

/** A horizontally scrolling region for wide tables, reachable by keyboard (axe: scrollable-region-focusable). */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
