// Asks for the API key once (on the first 401), keeps it in sessionStorage and refetches.
// The message says whether a key was missing or refused.
import * as Dialog from "@radix-ui/react-dialog";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { getKey, setKey, UNAUTHORIZED_EVENT } from "../api/client";

export function KeyPrompt() {
  const [open, setOpen] = useState(false);
  const [refused, setRefused] = useState(false);
  const [value, setValue] = useState("");
  const client = useQueryClient();

  useEffect(() => {
    const onUnauthorized = () => {
      setRefused(getKey() != null);
      setOpen(true);
    };
    const onAsk = () => {
      setRefused(false);
      setOpen(true);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    window.addEventListener("precog-ask-key", onAsk);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
      window.removeEventListener("precog-ask-key", onAsk);
    };
  }, []);

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    setKey(value.trim() || null);
    setValue("");
    setOpen(false);
    void client.invalidateQueries();
  };

  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 bg-black/30" />
        <Dialog.Content className="fixed left-1/2 top-1/3 w-[26rem] max-w-[95vw] -translate-x-1/2 rounded-lg bg-white p-5 shadow-xl">
          <Dialog.Title className="text-lg font-semibold">API key</Dialog.Title>
          <Dialog.Description className="mt-1 text-sm text-slate-600">
            {refused
              ? "The key was refused (401). Enter a valid key."
              : "This API needs a key. It is kept for this tab only (sessionStorage)."}
          </Dialog.Description>
          <form onSubmit={save} className="mt-3 flex gap-2">
            <input
              type="password"
              name="api-key"
              aria-label="API key"
              autoFocus
              value={value}
              onChange={(e) => setValue(e.target.value)}
              className="flex-1 rounded border border-slate-300 px-2 py-1 font-mono"
            />
            <button type="submit" className="rounded bg-slate-800 px-3 py-1 text-white">
              Use key
            </button>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
