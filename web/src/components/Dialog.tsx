import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the platform's <dialog>: showModal() makes the rest of the page inert, keeps Tab inside and
 * closes on Escape; the title names it (aria-labelledby) and focus returns where it was when it closes.
 */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  /** Escape, "Cancel" or the close of the dialog by any other means. */
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const closed = () => onCloseRef.current();
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
      before?.focus();
    };
  }, []);

  return (
    <dialog ref={ref} aria-labelledby={titleId} className="dialog">
      <h2 id={titleId}>{title}</h2>
      {children}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
