import type { ServiceStore } from "./open-store.js";

/** What the embedded store's thread starts with. */
export interface WorkerStoreOptions {
  readonly dataDir: string;
  /** The template's bytes (see `createStoreTemplate`). */
  readonly template?: ArrayBuffer;
}

/** One call of a {@link ServiceStore} method, by name, with its arguments. */
export interface StoreCall {
  readonly id: number;
  readonly method: Exclude<keyof ServiceStore, "kind">;
  readonly args: readonly unknown[];
}

/** The answer to the call of the same `id` (0: the store opened, or did not). */
export type StoreReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly dataDirInUse?: { readonly dataDir: string; readonly holderPid: number };
    };
