import { type FormEvent, useState } from 'react';
import { canOperate, useSession } from '../../shared/session';
import { dataOf } from '../../shared/useApi';
import type { ScheduleDetailView } from './api';

/**
 * Approve or reject a draft, with a reason for the audit log. Only operators and admins see the buttons;
 * the API checks the role again (a viewer's request gets 403).
 */
export function Decision({ detail, onDecided }: { detail: ScheduleDetailView; onDecided: () => void }) {
  const session = useSession();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (detail.status !== 'draft' || !canOperate(session)) return null;

  const act = (action: 'approve' | 'reject') => async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const params = { path: { id: detail.id } };
      if (action === 'approve')
        dataOf(
          await session.api.POST('/schedules/{id}/approve', {
            params,
            body: reason.trim() ? { reason: reason.trim() } : {},
          }),
        );
      else
        dataOf(await session.api.POST('/schedules/{id}/reject', { params, body: { reason: reason.trim() } }));
      onDecided();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="decision" onSubmit={(e) => void act('approve')(e)} aria-labelledby="decision-title">
      <h2 id="decision-title">Decision</h2>
      <label htmlFor="decision-reason">Reason (kept in the audit log; needed to reject)</label>
      <textarea
        id="decision-reason"
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        rows={2}
        maxLength={500}
      />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>
          Approve
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy || reason.trim() === ''}
          onClick={() => void act('reject')()}
        >
          Reject
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}
