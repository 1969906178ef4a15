import { ErrorAlert } from '../../../components/ErrorAlert';
import { useStepUp } from '../../../components/step-up';
import { useAction } from '../../../components/use-action';

/**
 * An admin change to this user: the step-up dialog when the API asks for a fresh second factor (then the change
 * runs again), the API's error or a notice in the section that made it, and the page reloaded after.
 */
export function useAdminChange(reload: () => Promise<void>) {
  const guard = useStepUp();
  const action = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'The change failed.' });
  const change = (perform: () => Promise<unknown>, notice: string) =>
    void action.run(async () => {
      await guard(perform);
      // The notice once the page shows the change (and even when reloading it fails: the change itself was made).
      try {
        await reload();
      } finally {
        action.setNotice(notice);
      }
    });
  return { ...action, change };
}

/** What became of a section's last change: the API's error, or a notice once the page shows it. */
export function ChangeOutcome({ error, notice }: { error: unknown; notice: string }) {
  return (
    <>
      <ErrorAlert error={error} />
      <p role="status" className={notice ? 'notice' : undefined}>
        {notice}
      </p>
    </>
  );
}
